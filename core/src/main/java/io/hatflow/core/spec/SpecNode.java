package io.hatflow.core.spec;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;

/**
 * A YAML node with its key path and source, read through typed getters that validate as they read.
 * Every error names the file and line (or the {@code --set} override) and the key path. Sections
 * declare their keys with {@link #only}, so a typo is an error rather than a silently ignored
 * setting.
 */
public final class SpecNode {
  private final Node node;
  private final String path;
  private final SpecSource source;

  SpecNode(Node node, String path, SpecSource source) {
    this.node = node;
    this.path = path;
    this.source = source;
  }

  public String path() {
    return path;
  }

  /** Where this node came from: {@code file:line}, or the override that set it. */
  public String where() {
    return source.where(node);
  }

  public SpecException error(String problem) {
    return new SpecException(where(), path, problem);
  }

  private String child(String key) {
    return path.isEmpty() ? key : path + "." + key;
  }

  private Map<String, NodeTuple> entries() {
    if (!(node instanceof MappingNode m)) {
      throw error("expected a section (key: value lines), got " + describe(node));
    }
    Map<String, NodeTuple> out = new LinkedHashMap<>();
    for (NodeTuple t : m.getValue()) {
      String k = t.getKeyNode() instanceof ScalarNode s ? s.getValue() : null;
      if (k == null) {
        throw new SpecException(source.where(t.getKeyNode()), path, "keys must be plain names");
      }
      if (out.put(k, t) != null) {
        throw new SpecException(source.where(t.getKeyNode()), child(k), "duplicate key");
      }
    }
    return out;
  }

  /**
   * Rejects any key not listed: the error names the first unknown key's line and the keys this
   * section knows.
   */
  public SpecNode only(String... keys) {
    Set<String> known = new HashSet<>(List.of(keys));
    for (Map.Entry<String, NodeTuple> e : entries().entrySet()) {
      if (!known.contains(e.getKey())) {
        throw new SpecException(
            source.where(e.getValue().getKeyNode()),
            child(e.getKey()),
            "unknown key (known here: " + String.join(", ", keys) + ")");
      }
    }
    return this;
  }

  public boolean has(String key) {
    NodeTuple t = entries().get(key);
    return t != null && !isNull(t.getValueNode());
  }

  private SpecNode get(String key) {
    NodeTuple t = entries().get(key);
    return t == null || isNull(t.getValueNode())
        ? null
        : new SpecNode(t.getValueNode(), child(key), source);
  }

  private SpecNode required(String key) {
    SpecNode n = get(key);
    if (n == null) {
      throw error("missing required key \"" + key + "\"");
    }
    return n;
  }

  public SpecNode section(String key) {
    SpecNode n = required(key);
    n.entries();
    return n;
  }

  /** An optional section; absent reads as an empty one, so its keys take their defaults. */
  public SpecNode sectionOrEmpty(String key) {
    SpecNode n = get(key);
    if (n == null) {
      return new SpecNode(
          new MappingNode(
              Tag.MAP, new ArrayList<>(), org.yaml.snakeyaml.DumperOptions.FlowStyle.BLOCK),
          child(key),
          source);
    }
    n.entries();
    return n;
  }

  // --- scalars
  // -------------------------------------------------------------------------------------------

  public int integer(String key, long min, long max, Integer def) {
    SpecNode n = def == null ? required(key) : get(key);
    return n == null ? def : n.asInt(min, max);
  }

  public int asInt(long min, long max) {
    String v = scalar("an integer" + range(min, max));
    long x;
    try {
      x = Long.parseLong(v.replace("_", ""));
    } catch (NumberFormatException e) {
      throw error("expected an integer" + range(min, max) + ", got " + quoted());
    }
    if (x < min || x > max) {
      throw error(
          "expected an integer"
              + (x > max ? range(min, max, true) : range(min, max))
              + ", got "
              + x);
    }
    return (int) x;
  }

  public long longInt(String key, long min, long max, Long def) {
    SpecNode n = def == null ? required(key) : get(key);
    if (n == null) {
      return def;
    }
    String v = n.scalar("an integer" + range(min, max));
    long x;
    try {
      x = Long.parseLong(v.replace("_", ""));
    } catch (NumberFormatException e) {
      throw n.error("expected an integer" + range(min, max) + ", got " + n.quoted());
    }
    if (x < min || x > max) {
      throw n.error(
          "expected an integer"
              + (x > max ? range(min, max, true) : range(min, max))
              + ", got "
              + x);
    }
    return x;
  }

  public double number(String key, double min, double max, Double def) {
    SpecNode n = def == null ? required(key) : get(key);
    return n == null ? def : n.asNumber(min, max);
  }

  public double asNumber(double min, double max) {
    String want = "a number" + range(min, max);
    String v = scalar(want);
    double x;
    try {
      x = Double.parseDouble(v.replace("_", ""));
    } catch (NumberFormatException e) {
      throw error("expected " + want + ", got " + quoted());
    }
    if (!Double.isFinite(x) || x < min || x > max) {
      throw error(
          "expected a number" + (x > max ? range(min, max, true) : range(min, max)) + ", got " + v);
    }
    return x;
  }

  public String string(String key, String def) {
    SpecNode n = def == null ? required(key) : get(key);
    return n == null ? def : n.scalar("a string");
  }

  /** An optional string: null when absent. */
  public String optString(String key) {
    SpecNode n = get(key);
    return n == null ? null : n.scalar("a string");
  }

  public String choice(String key, List<String> allowed, String def) {
    SpecNode n = def == null ? required(key) : get(key);
    if (n == null) {
      return def;
    }
    String v = n.scalar("one of " + String.join(", ", allowed));
    if (!allowed.contains(v)) {
      throw n.error("expected one of " + String.join(", ", allowed) + ", got " + n.quoted());
    }
    return v;
  }

  public boolean bool(String key, boolean def) {
    SpecNode n = get(key);
    if (n == null) {
      return def;
    }
    String v = n.scalar("true or false");
    return switch (v) {
      case "true", "True", "yes" -> true;
      case "false", "False", "no" -> false;
      default -> throw n.error("expected true or false, got " + n.quoted());
    };
  }

  public boolean isScalar() {
    return node instanceof ScalarNode;
  }

  public boolean isSection() {
    return node instanceof MappingNode;
  }

  public String asString() {
    return scalar("a string");
  }

  private String scalar(String want) {
    if (!(node instanceof ScalarNode s)) {
      throw error("expected " + want + ", got " + describe(node));
    }
    return s.getValue();
  }

  private String quoted() {
    return node instanceof ScalarNode s ? "\"" + s.getValue() + "\"" : describe(node);
  }

  // --- lists
  // ---------------------------------------------------------------------------------------------

  /** The items of a list; {@code nonEmpty} makes an empty list an error. */
  public List<SpecNode> list(String key, boolean nonEmpty) {
    SpecNode n = required(key);
    return n.items(nonEmpty);
  }

  public List<SpecNode> items(boolean nonEmpty) {
    if (!(node instanceof SequenceNode seq)) {
      throw error("expected a list, got " + describe(node));
    }
    List<SpecNode> out = new ArrayList<>();
    for (int i = 0; i < seq.getValue().size(); i++) {
      out.add(new SpecNode(seq.getValue().get(i), path + "[" + i + "]", source));
    }
    if (nonEmpty && out.isEmpty()) {
      throw error("expected a non-empty list");
    }
    return out;
  }

  public <T> List<T> list(String key, boolean nonEmpty, List<T> def, Function<SpecNode, T> item) {
    if (def != null && get(key) == null) {
      return def;
    }
    List<T> out = new ArrayList<>();
    for (SpecNode n : list(key, nonEmpty)) {
      out.add(item.apply(n));
    }
    return List.copyOf(out);
  }

  /** The keys of a section, in file order. */
  public List<String> keys() {
    return new ArrayList<>(entries().keySet());
  }

  /** A child by key, required. */
  public SpecNode at(String key) {
    return required(key);
  }

  // --- helpers
  // -------------------------------------------------------------------------------------------

  private static boolean isNull(Node n) {
    return n instanceof ScalarNode s && Tag.NULL.equals(s.getTag());
  }

  private static String describe(Node n) {
    if (n instanceof MappingNode) {
      return "a section";
    }
    if (n instanceof SequenceNode) {
      return "a list";
    }
    return "\"" + ((ScalarNode) n).getValue() + "\"";
  }

  /** The range hint; sanity caps (1e6 and above) are left out unless the value broke them. */
  private static String range(double min, double max) {
    return range(min, max, false);
  }

  private static String range(double min, double max, boolean showCap) {
    boolean lo = min > -Double.MAX_VALUE && min != Long.MIN_VALUE;
    boolean hi = showCap || max < 1e6;
    if (lo && hi) {
      return " in [" + fmt(min) + ", " + fmt(max) + "]";
    }
    if (lo) {
      return " >= " + fmt(min);
    }
    if (hi) {
      return " <= " + fmt(max);
    }
    return "";
  }

  private static String fmt(double x) {
    return x == Math.rint(x) && Math.abs(x) < 1e15 ? Long.toString((long) x) : Double.toString(x);
  }

  Node raw() {
    return node;
  }
}
