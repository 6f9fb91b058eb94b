package io.hatflow.core.spec;

import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;

/**
 * Reads a spec file, applies {@code --set} overrides, validates everything and freezes the result.
 */
public final class SpecLoader {
  private SpecLoader() {}

  public static FrozenSpec load(Path file, List<String> overrideArgs) {
    List<SpecOverride> overrides = new ArrayList<>();
    for (String a : overrideArgs) {
      overrides.add(SpecOverride.parse(a));
    }
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      throw new SpecException(file.toString(), "", "spec file does not exist");
    } catch (IOException e) {
      throw new SpecException(file.toString(), "", "cannot read spec file: " + e.getMessage());
    }
    return parse(
        file.getFileName().toString(), bytes, file.toAbsolutePath().getParent(), overrides);
  }

  /**
   * Parses spec bytes. {@code baseDir} resolves relative paths in the spec, so a spec means the
   * same data whatever the working directory of the process (cron jobs, cluster launchers).
   */
  public static FrozenSpec parse(
      String fileName, byte[] bytes, Path baseDir, List<SpecOverride> overrides) {
    String text;
    try {
      text =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(java.nio.ByteBuffer.wrap(bytes))
              .toString();
    } catch (CharacterCodingException e) {
      throw new SpecException(fileName, "", "not valid UTF-8");
    }
    SpecSource source = new SpecSource(fileName);
    Node root = compose(text, fileName);
    if (root == null) {
      throw new SpecException(fileName, "", "spec is empty");
    }
    for (SpecOverride o : overrides) {
      apply(root, o, source);
    }
    Spec spec = Spec.from(new SpecNode(root, "", source), baseDir);
    return new FrozenSpec(fileName, bytes, List.copyOf(overrides), spec);
  }

  private static Node compose(String text, String where) {
    LoaderOptions lo = new LoaderOptions();
    lo.setAllowDuplicateKeys(false);
    try {
      return new Yaml(lo).compose(new StringReader(text));
    } catch (MarkedYAMLException e) {
      int line = e.getProblemMark() == null ? 0 : e.getProblemMark().getLine() + 1;
      throw new SpecException(
          where + (line > 0 ? ":" + line : ""), "", "invalid YAML: " + e.getProblem());
    }
  }

  /** Sets one key path ({@code a.b[0].c}) in the node tree, creating sections that are missing. */
  private static void apply(Node root, SpecOverride o, SpecSource source) {
    String where = "--set " + o;
    List<Object> steps = steps(o.key(), where);
    Node value = compose(o.value(), where);
    if (value == null) {
      value =
          new ScalarNode(
              Tag.NULL, "null", null, null, org.yaml.snakeyaml.DumperOptions.ScalarStyle.PLAIN);
    }
    markAll(value, where, source);
    Node cur = root;
    StringBuilder path = new StringBuilder();
    for (int i = 0; i < steps.size(); i++) {
      Object step = steps.get(i);
      boolean last = i == steps.size() - 1;
      if (step instanceof Integer idx) {
        path.append('[').append(idx).append(']');
        if (!(cur instanceof SequenceNode seq) || idx >= seq.getValue().size()) {
          throw new SpecException(where, path.toString(), "no such list item in the spec");
        }
        if (last) {
          seq.getValue().set(idx, value);
          return;
        }
        cur = seq.getValue().get(idx);
      } else {
        String key = (String) step;
        path.append(path.length() == 0 ? "" : ".").append(key);
        if (!(cur instanceof MappingNode map)) {
          throw new SpecException(where, path.toString(), "parent is not a section");
        }
        NodeTuple found = null;
        int at = -1;
        for (int j = 0; j < map.getValue().size(); j++) {
          NodeTuple t = map.getValue().get(j);
          if (t.getKeyNode() instanceof ScalarNode s && s.getValue().equals(key)) {
            found = t;
            at = j;
          }
        }
        Node keyNode =
            new ScalarNode(
                Tag.STR, key, null, null, org.yaml.snakeyaml.DumperOptions.ScalarStyle.PLAIN);
        source.markOverride(keyNode, where);
        if (last) {
          NodeTuple t = new NodeTuple(found == null ? keyNode : found.getKeyNode(), value);
          if (found == null) {
            map.getValue().add(t);
          } else {
            map.getValue().set(at, t);
          }
          return;
        }
        if (found == null
            || (found.getValueNode() instanceof ScalarNode s && Tag.NULL.equals(s.getTag()))) {
          MappingNode child =
              new MappingNode(
                  Tag.MAP, new ArrayList<>(), org.yaml.snakeyaml.DumperOptions.FlowStyle.BLOCK);
          source.markOverride(child, where);
          NodeTuple t = new NodeTuple(found == null ? keyNode : found.getKeyNode(), child);
          if (found == null) {
            map.getValue().add(t);
          } else {
            map.getValue().set(at, t);
          }
          cur = child;
        } else {
          cur = found.getValueNode();
        }
      }
    }
  }

  private static void markAll(Node n, String where, SpecSource source) {
    source.markOverride(n, where);
    if (n instanceof MappingNode m) {
      for (NodeTuple t : m.getValue()) {
        markAll(t.getKeyNode(), where, source);
        markAll(t.getValueNode(), where, source);
      }
    } else if (n instanceof SequenceNode s) {
      for (Node c : s.getValue()) {
        markAll(c, where, source);
      }
    }
  }

  private static List<Object> steps(String key, String where) {
    List<Object> out = new ArrayList<>();
    for (String part : key.split("\\.", -1)) {
      String name = part;
      List<Integer> idx = new ArrayList<>();
      while (name.endsWith("]")) {
        int open = name.lastIndexOf('[');
        if (open < 0) {
          throw new SpecException(where, key, "malformed key path");
        }
        try {
          idx.add(0, Integer.parseInt(name.substring(open + 1, name.length() - 1)));
        } catch (NumberFormatException e) {
          throw new SpecException(where, key, "malformed list index in key path");
        }
        name = name.substring(0, open);
      }
      if (name.isEmpty() || !name.matches("[A-Za-z_][A-Za-z0-9_-]*")) {
        throw new SpecException(where, key, "malformed key path");
      }
      out.add(name);
      out.addAll(idx);
    }
    return out;
  }
}
