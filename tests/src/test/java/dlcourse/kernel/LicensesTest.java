package dlcourse.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * dlcourse is Apache-2.0 (LICENSE, declared in the parent POM); every jar the kernel runs with must be under a licence
 * that a project under Apache-2.0 may depend on. Read from each jar's POM in the local Maven repository, following
 * parent POMs; a jar offering several licences passes when one of them is allowed.
 */
class LicensesTest {
  /** Permissive or weak-copyleft licences (by name as POMs spell them), which an Apache-2.0 project may use. */
  private static final Pattern ALLOWED = Pattern.compile(
      "apache|\\bmit\\b|\\bbsd\\b|bsd-|eclipse public|\\bepl\\b|mozilla public|\\bmpl\\b|lesser general public|\\blgpl\\b"
          + "|classpath exception|unicode|icu license");

  /** Artifacts whose POMs (and parents) name no licence, with the licence their project publishes. */
  private static final Map<String, String> UNDECLARED = Map.of(
      "it.unimi.dsi", "Apache-2.0 (fastutil)",
      "javax.inject", "Apache-2.0",
      "org.bytedeco", "Apache-2.0 or GPLv2 with Classpath exception (JavaCPP presets)",
      "org.nd4j", "Apache-2.0 (Eclipse Deeplearning4j)");

  private static final Pattern REPO_JAR = Pattern.compile(".*/repository/(.+)/([^/]+)/([^/]+)/[^/]+\\.jar$");

  @Test
  void everyDependencyOfTheKernelHasALicenceAnApacheProjectMayUse() throws Exception {
    Path root = ItSupport.root();
    assertTrue(Files.readString(root.resolve("LICENSE")).contains("Apache License"), "LICENSE is the Apache License");
    assertEquals(List.of("Apache-2.0"), licences(root.resolve("pom.xml")), "the parent POM declares Apache-2.0");

    Map<String, String> refused = new TreeMap<>();
    int checked = 0;
    for (String entry : ItSupport.kernelClasspath().split(File.pathSeparator)) {
      Matcher m = REPO_JAR.matcher(entry.replace(File.separatorChar, '/'));
      if (!m.matches()) {
        continue; // our own jars
      }
      String group = m.group(1).replace('/', '.');
      Path repository = Path.of(entry.substring(0, entry.indexOf("/repository/") + "/repository".length()));
      Path pom = pom(repository, group, m.group(2), m.group(3));
      List<String> names = Files.exists(pom) ? declared(repository, pom, 0) : List.of();
      checked++;
      if (names.isEmpty()) {
        if (!UNDECLARED.containsKey(group)) {
          refused.put(group + ":" + m.group(2), "no licence in its POM or parents");
        }
      } else if (names.stream().noneMatch(n -> ALLOWED.matcher(n.toLowerCase(Locale.ROOT)).find())) {
        refused.put(group + ":" + m.group(2), String.join(" / ", names));
      }
    }
    assertTrue(checked > 50, "read " + checked + " dependency jars from the kernel's class path");
    assertEquals(Map.of(), refused, "dependencies whose licence is not known to be compatible with Apache-2.0");
  }

  /** The licence names a POM declares, else its parent's (looked up beside it in the local repository). */
  private static Path pom(Path repository, String group, String artifact, String version) {
    return repository.resolve(group.replace('.', '/')).resolve(artifact).resolve(version)
        .resolve(artifact + "-" + version + ".pom");
  }

  private static List<String> declared(Path repository, Path pom, int depth) throws Exception {
    List<String> names = licences(pom);
    if (!names.isEmpty() || depth > 6) {
      return names;
    }
    Document doc = parse(pom);
    NodeList parents = doc.getDocumentElement().getElementsByTagName("parent");
    if (parents.getLength() == 0) {
      return names;
    }
    Element parent = (Element) parents.item(0);
    Path parentPom = pom(repository, text(parent, "groupId"), text(parent, "artifactId"), text(parent, "version"));
    return Files.exists(parentPom) ? declared(repository, parentPom, depth + 1) : names;
  }

  private static List<String> licences(Path pom) throws Exception {
    List<String> names = new ArrayList<>();
    NodeList licences = parse(pom).getDocumentElement().getElementsByTagName("license");
    for (int i = 0; i < licences.getLength(); i++) {
      names.add(text((Element) licences.item(i), "name"));
    }
    return names;
  }

  private static Document parse(Path pom) throws Exception {
    var factory = DocumentBuilderFactory.newInstance();
    factory.setNamespaceAware(false);
    return factory.newDocumentBuilder().parse(pom.toFile());
  }

  private static String text(Element e, String tag) {
    NodeList l = e.getElementsByTagName(tag);
    return l.getLength() == 0 ? "" : l.item(0).getTextContent().strip();
  }
}
