package io.hatflow.core.run;

import java.util.List;

/**
 * The hatflow code a stage depends on, for its code digest ({@link CodeDigest#current(CodeScope)}):
 * whole packages (with their subpackages and bundled resources) and single classes (with their
 * nested classes). A stage's cache key covers only this code, so a change to the report's CSS does
 * not retrain the SuperTransformer. A test walks each stage's bytecode references and fails when a
 * reachable class lies outside its scope.
 *
 * @param packages package names, e.g. {@code io.hatflow.core.spec}
 * @param classes class names, e.g. {@code io.hatflow.pipelines.stages.TrainStage}
 */
public record CodeScope(List<String> packages, List<String> classes) {
  /** All hatflow code: the whole-jar digest, for stages whose reach could not be bounded. */
  public static final CodeScope ALL = new CodeScope(List.of("io.hatflow"), List.of());

  public CodeScope {
    packages = List.copyOf(packages);
    classes = List.copyOf(classes);
  }

  /**
   * Whether an {@code io/hatflow/**} entry (a class file or a resource, by its path in the jar) is
   * in scope.
   */
  public boolean contains(String entry) {
    for (String p : packages) {
      if (entry.startsWith(p.replace('.', '/') + "/")) {
        return true;
      }
    }
    for (String c : classes) {
      String path = c.replace('.', '/');
      if (entry.equals(path + ".class") || entry.startsWith(path + "$")) {
        return true;
      }
    }
    return false;
  }

  /** Whether a class (binary name, {@code a.b.C$D}) is in scope. */
  public boolean containsClass(String binaryName) {
    return contains(binaryName.replace('.', '/') + ".class");
  }

  /** This scope plus another's packages and classes. */
  public CodeScope plus(CodeScope other) {
    List<String> p = new java.util.ArrayList<>(packages);
    p.addAll(other.packages);
    List<String> c = new java.util.ArrayList<>(classes);
    c.addAll(other.classes);
    return new CodeScope(p.stream().distinct().toList(), c.stream().distinct().toList());
  }
}
