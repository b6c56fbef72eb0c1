package dlcourse.kernel;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.eclipse.aether.RepositorySystem;
import org.eclipse.aether.RepositorySystemSession;
import org.eclipse.aether.artifact.DefaultArtifact;
import org.eclipse.aether.collection.CollectRequest;
import org.eclipse.aether.graph.Dependency;
import org.eclipse.aether.repository.RemoteRepository;
import org.eclipse.aether.resolution.ArtifactResult;
import org.eclipse.aether.resolution.DependencyRequest;
import org.eclipse.aether.resolution.DependencyResolutionException;
import org.eclipse.aether.supplier.RepositorySystemSupplier;
import org.eclipse.aether.supplier.SessionBuilderSupplier;
import org.eclipse.aether.util.artifact.JavaScopes;

/**
 * Resolves {@code group:artifact:version} and its runtime dependencies for the {@code %maven} magic.
 *
 * <p>Uses the local repository {@code ~/.m2/repository} and Maven's default remote repository (read
 * from Maven's own super POM), or the URL in {@code DLCOURSE_MAVEN_REPO} when set.
 */
final class MavenResolver {

  private static final Pattern COORDS = Pattern.compile("[^:\\s]+:[^:\\s]+(:[^:\\s]+){1,3}");

  private MavenResolver() {}

  /**
   * Resolves {@code coords} and returns its jar files, dependencies first.
   *
   * @throws CellError with a message naming the coordinates when they are malformed or cannot be resolved
   */
  static List<Path> resolve(String coords) throws CellError {
    if (!COORDS.matcher(coords).matches()) {
      throw CellError.of("MavenError", "%maven: '" + coords
          + "' is not group:artifact:version (e.g. %maven org.apache.commons:commons-math3:3.6.1)");
    }
    RepositorySystem system = new RepositorySystemSupplier().get();
    Path local = Path.of(System.getProperty("user.home"), ".m2", "repository");
    try (RepositorySystemSession.CloseableSession session = new SessionBuilderSupplier(system).get()
        .withLocalRepositoryBaseDirectories(local)
        .build()) {
      RemoteRepository central = new RemoteRepository.Builder("central", "default", remoteUrl()).build();
      CollectRequest collect = new CollectRequest(new Dependency(new DefaultArtifact(coords), JavaScopes.RUNTIME),
          List.of(central));
      List<Path> jars = new ArrayList<>();
      for (ArtifactResult r : system.resolveDependencies(session, new DependencyRequest(collect, null))
          .getArtifactResults()) {
        if (r.getArtifact() != null && r.getArtifact().getPath() != null) {
          jars.add(r.getArtifact().getPath());
        }
      }
      return jars;
    } catch (DependencyResolutionException e) {
      Throwable root = e;
      while (root.getCause() != null) {
        root = root.getCause();
      }
      String why = root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
      throw CellError.of("MavenError", "%maven: could not resolve " + coords + " from " + remoteUrl()
          + " (the artifact does not exist there, or this machine is offline): " + why);
    } catch (IllegalArgumentException e) {
      throw CellError.of("MavenError", "%maven: bad coordinates '" + coords + "': " + e.getMessage());
    }
  }

  /** Returns the remote repository URL: DLCOURSE_MAVEN_REPO, else Maven's default central repository. */
  static String remoteUrl() {
    String env = System.getenv("DLCOURSE_MAVEN_REPO");
    if (env != null && !env.isBlank()) {
      return env;
    }
    try (InputStream in = MavenResolver.class.getClassLoader().getResourceAsStream(
        "org/apache/maven/model/pom-4.0.0.xml")) {
      if (in != null) {
        String pom = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        Matcher m = Pattern.compile("<id>central</id>.*?<url>(.*?)</url>", Pattern.DOTALL).matcher(pom);
        if (m.find()) {
          return m.group(1).trim();
        }
      }
    } catch (IOException e) {
      // fall through to the error below
    }
    throw new IllegalStateException("Maven's super POM is missing from the class path; set DLCOURSE_MAVEN_REPO");
  }
}
