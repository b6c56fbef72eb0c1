package dlcourse.kernel;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import javax.tools.FileObject;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.StandardLocation;

/**
 * JShell's compiler file manager with the class path's package listings kept for the session.
 *
 * <p>JShell compiles each snippet three or four times (parse, type of an expression, analysis, code), and every
 * compilation lists the snippets' package {@code REPL} on the whole class path: javac drops its index of the class
 * path's folders between compilations and rebuilt it each time over the kernel's ~80 jars, about a seventh of a
 * trivial cell's compiler time (JFR profile of 300 {@code 1 + 1} cells; javac's {@code --multi-release}, which it
 * sets on the file manager twice per compilation, resets the index). This file manager answers a listing of the
 * class path from its own map once it has made it, while no entry of the class path is a folder (jars do not change
 * under a running kernel; a folder may, so a class path with a folder is listed afresh each time, as before). The map
 * is dropped whenever the class path changes ({@code %classpath}, {@code %maven}). Everything else goes to javac's
 * file manager unchanged.
 */
final class CachingFileManager implements StandardJavaFileManager {

  private final StandardJavaFileManager delegate;
  private final Map<List<Object>, List<JavaFileObject>> listings = new ConcurrentHashMap<>();
  private volatile Boolean jarsOnly;

  CachingFileManager(StandardJavaFileManager delegate) {
    this.delegate = delegate;
  }

  /** Forgets the listings and whether the class path is jars only. */
  private void classPathChanged() {
    listings.clear();
    jarsOnly = null;
  }

  private boolean cacheable() {
    Boolean j = jarsOnly;
    if (j == null) {
      Iterable<? extends Path> paths = delegate.getLocationAsPaths(StandardLocation.CLASS_PATH);
      j = true;
      if (paths != null) {
        for (Path p : paths) {
          if (Files.isDirectory(p)) { // a missing entry (a jar's manifest may name one) stays missing
            j = false;
            break;
          }
        }
      }
      jarsOnly = j;
    }
    return j;
  }

  /** The number of class path listings answered from the map (for tests). */
  int listingsKept() {
    return listings.size();
  }

  @Override
  public Iterable<JavaFileObject> list(Location location, String packageName, Set<JavaFileObject.Kind> kinds,
      boolean recurse) throws IOException {
    if (location != StandardLocation.CLASS_PATH || !cacheable()) {
      return delegate.list(location, packageName, kinds, recurse);
    }
    List<Object> key = List.of(packageName, kinds.isEmpty() ? EnumSet.noneOf(JavaFileObject.Kind.class)
        : EnumSet.copyOf(kinds), recurse);
    List<JavaFileObject> kept = listings.get(key);
    if (kept == null) {
      kept = new ArrayList<>();
      for (JavaFileObject f : delegate.list(location, packageName, kinds, recurse)) {
        kept.add(f);
      }
      kept = List.copyOf(kept);
      listings.put(key, kept);
    }
    return kept;
  }

  @Override
  public boolean handleOption(String current, Iterator<String> remaining) {
    // JShell's addToClasspath sets -classpath here; javac itself sets --multi-release twice per compilation
    if (!current.equals("--multi-release") && !current.equals("-encoding")) {
      classPathChanged();
    }
    return delegate.handleOption(current, remaining);
  }

  @Override
  public void setLocation(Location location, Iterable<? extends File> files) throws IOException {
    classPathChanged();
    delegate.setLocation(location, files);
  }

  @Override
  public void setLocationFromPaths(Location location, Collection<? extends Path> paths) throws IOException {
    classPathChanged();
    delegate.setLocationFromPaths(location, paths);
  }

  @Override
  public void setLocationForModule(Location location, String moduleName, Collection<? extends Path> paths)
      throws IOException {
    classPathChanged();
    delegate.setLocationForModule(location, moduleName, paths);
  }

  // ---- everything below: javac's file manager unchanged

  @Override
  public ClassLoader getClassLoader(Location location) {
    return delegate.getClassLoader(location);
  }

  @Override
  public String inferBinaryName(Location location, JavaFileObject file) {
    return delegate.inferBinaryName(location, file);
  }

  @Override
  public boolean isSameFile(FileObject a, FileObject b) {
    return delegate.isSameFile(a, b);
  }

  @Override
  public boolean hasLocation(Location location) {
    return delegate.hasLocation(location);
  }

  @Override
  public JavaFileObject getJavaFileForInput(Location location, String className, JavaFileObject.Kind kind)
      throws IOException {
    return delegate.getJavaFileForInput(location, className, kind);
  }

  @Override
  public JavaFileObject getJavaFileForOutput(Location location, String className, JavaFileObject.Kind kind,
      FileObject sibling) throws IOException {
    return delegate.getJavaFileForOutput(location, className, kind, sibling);
  }

  @Override
  public FileObject getFileForInput(Location location, String packageName, String relativeName) throws IOException {
    return delegate.getFileForInput(location, packageName, relativeName);
  }

  @Override
  public FileObject getFileForOutput(Location location, String packageName, String relativeName, FileObject sibling)
      throws IOException {
    return delegate.getFileForOutput(location, packageName, relativeName, sibling);
  }

  @Override
  public void flush() throws IOException {
    delegate.flush();
  }

  @Override
  public void close() throws IOException {
    delegate.close();
  }

  @Override
  public Location getLocationForModule(Location location, String moduleName) throws IOException {
    return delegate.getLocationForModule(location, moduleName);
  }

  @Override
  public Location getLocationForModule(Location location, JavaFileObject fo) throws IOException {
    return delegate.getLocationForModule(location, fo);
  }

  @Override
  public <S> ServiceLoader<S> getServiceLoader(Location location, Class<S> service) throws IOException {
    return delegate.getServiceLoader(location, service);
  }

  @Override
  public String inferModuleName(Location location) throws IOException {
    return delegate.inferModuleName(location);
  }

  @Override
  public Iterable<Set<Location>> listLocationsForModules(Location location) throws IOException {
    return delegate.listLocationsForModules(location);
  }

  @Override
  public boolean contains(Location location, FileObject fo) throws IOException {
    return delegate.contains(location, fo);
  }

  @Override
  public int isSupportedOption(String option) {
    return delegate.isSupportedOption(option);
  }

  @Override
  public Iterable<? extends JavaFileObject> getJavaFileObjectsFromFiles(Iterable<? extends File> files) {
    return delegate.getJavaFileObjectsFromFiles(files);
  }

  @Override
  public Iterable<? extends JavaFileObject> getJavaFileObjectsFromPaths(Collection<? extends Path> paths) {
    return delegate.getJavaFileObjectsFromPaths(paths);
  }

  @Override
  @SuppressWarnings("deprecation")
  public Iterable<? extends JavaFileObject> getJavaFileObjectsFromPaths(Iterable<? extends Path> paths) {
    return delegate.getJavaFileObjectsFromPaths(paths);
  }

  @Override
  public Iterable<? extends JavaFileObject> getJavaFileObjects(File... files) {
    return delegate.getJavaFileObjects(files);
  }

  @Override
  public Iterable<? extends JavaFileObject> getJavaFileObjects(Path... paths) {
    return delegate.getJavaFileObjects(paths);
  }

  @Override
  public Iterable<? extends JavaFileObject> getJavaFileObjectsFromStrings(Iterable<String> names) {
    return delegate.getJavaFileObjectsFromStrings(names);
  }

  @Override
  public Iterable<? extends JavaFileObject> getJavaFileObjects(String... names) {
    return delegate.getJavaFileObjects(names);
  }

  @Override
  public Iterable<? extends File> getLocation(Location location) {
    return delegate.getLocation(location);
  }

  @Override
  public Iterable<? extends Path> getLocationAsPaths(Location location) {
    return delegate.getLocationAsPaths(location);
  }

  @Override
  public Path asPath(FileObject file) {
    return delegate.asPath(file);
  }

  @Override
  public void setPathFactory(PathFactory f) {
    delegate.setPathFactory(f);
  }
}
