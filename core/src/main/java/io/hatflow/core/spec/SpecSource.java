package io.hatflow.core.spec;

import java.util.IdentityHashMap;
import java.util.Map;
import org.yaml.snakeyaml.nodes.Node;

/**
 * Where spec nodes came from: the file (with 1-based lines) or the {@code --set} override that made
 * them.
 */
final class SpecSource {
  private final String fileName;
  private final Map<Node, String> overridden = new IdentityHashMap<>();

  SpecSource(String fileName) {
    this.fileName = fileName;
  }

  String where(Node n) {
    String o = overridden.get(n);
    if (o != null) {
      return o;
    }
    return n.getStartMark() == null ? fileName : fileName + ":" + (n.getStartMark().getLine() + 1);
  }

  void markOverride(Node n, String override) {
    overridden.put(n, override);
  }

  String fileName() {
    return fileName;
  }
}
