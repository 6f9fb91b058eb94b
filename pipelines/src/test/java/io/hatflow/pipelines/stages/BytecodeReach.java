package io.hatflow.pipelines.stages;

import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The hatflow classes a class can reach through its bytecode, read from the class file itself (no
 * ASM: the constant pool is all it takes): every CONSTANT_Class entry (what it instantiates, calls,
 * casts to, extends or nests) and every {@code Lio/hatflow/...;} type in its descriptors and
 * signatures, transitively. Conservative (a reference counts whether or not the path is taken),
 * with two additions and one blind spot:
 *
 * <ul>
 *   <li>a reached hatflow type that declares abstract methods brings its hatflow subtypes, since
 *       code written against an interface runs whatever implementation it is handed (a run
 *       directory's home, a fitness);
 *   <li>marker interfaces (no abstract methods, e.g. ExpectedFailure) do not: nothing dispatches on
 *       them;
 *   <li>classes named only in strings (reflection, service files) are not seen.
 * </ul>
 */
final class BytecodeReach {
  private BytecodeReach() {}

  private static final Pattern TYPE = Pattern.compile("L(io/hatflow/[^;<]+)[;<]");

  /**
   * What one class file says: the hatflow classes it refers to, its hatflow supertypes, abstract
   * methods.
   */
  record ClassInfo(Set<String> references, List<String> supertypes, boolean dispatches) {}

  static ClassInfo read(byte[] bytes) {
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
      if (in.readInt() != 0xCAFEBABE) {
        throw new IllegalArgumentException("not a class file");
      }
      in.readUnsignedShort(); // minor
      in.readUnsignedShort(); // major
      int n = in.readUnsignedShort();
      String[] utf8 = new String[n];
      int[] classIndex = new int[n];
      for (int i = 1; i < n; i++) {
        int tag = in.readUnsignedByte();
        switch (tag) {
          case 1 -> utf8[i] = in.readUTF();
          case 7 -> classIndex[i] = in.readUnsignedShort(); // CONSTANT_Class: the index of its name
          case 8, 16, 19, 20 -> in.readUnsignedShort(); // String, MethodType, Module, Package
          case 15 -> { // MethodHandle
            in.readUnsignedByte();
            in.readUnsignedShort();
          }
          case 3, 4, 9, 10, 11, 12, 17, 18 ->
              in.readInt(); // Integer, Float, member refs, NameAndType, dynamic
          case 5, 6 -> { // Long, Double: two slots
            in.readLong();
            i++;
          }
          default -> throw new IllegalArgumentException("constant pool tag " + tag + " at " + i);
        }
      }
      Set<String> refs = new TreeSet<>();
      for (int i = 1; i < n; i++) {
        if (classIndex[i] != 0 && utf8[classIndex[i]].startsWith("io/hatflow/")) {
          refs.add(utf8[classIndex[i]].replace('/', '.'));
        }
        if (utf8[i] != null
            && utf8[i].contains("Lio/hatflow/")) { // descriptors, signatures, array classes
          Matcher m = TYPE.matcher(utf8[i]);
          while (m.find()) {
            refs.add(m.group(1).replace('/', '.'));
          }
        }
      }
      in.readUnsignedShort(); // access flags
      in.readUnsignedShort(); // this class
      List<String> sup = new ArrayList<>();
      int superIndex = in.readUnsignedShort();
      if (superIndex != 0) {
        sup.add(utf8[classIndex[superIndex]]);
      }
      for (int k = in.readUnsignedShort(); k > 0; k--) {
        sup.add(utf8[classIndex[in.readUnsignedShort()]]);
      }
      skipMembers(in, null); // fields
      boolean[] anyAbstract = {false};
      skipMembers(in, anyAbstract); // methods
      return new ClassInfo(
          refs,
          sup.stream()
              .filter(s -> s.startsWith("io/hatflow/"))
              .map(s -> s.replace('/', '.'))
              .toList(),
          anyAbstract[0]);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void skipMembers(DataInputStream in, boolean[] anyAbstract) throws IOException {
    for (int k = in.readUnsignedShort(); k > 0; k--) {
      int access = in.readUnsignedShort();
      if (anyAbstract != null && (access & 0x0400) != 0) { // ACC_ABSTRACT
        anyAbstract[0] = true;
      }
      in.readUnsignedShort(); // name
      in.readUnsignedShort(); // descriptor
      for (int a = in.readUnsignedShort(); a > 0; a--) {
        in.readUnsignedShort();
        in.skipNBytes(in.readInt());
      }
    }
  }

  /** The class's own bytes, from the class path. */
  static byte[] bytes(String binaryName) {
    String res = "/" + binaryName.replace('.', '/') + ".class";
    try (InputStream in = BytecodeReach.class.getResourceAsStream(res)) {
      if (in == null) {
        throw new IllegalStateException("no class file " + res);
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Every hatflow type to its direct hatflow subtypes, over these classes. */
  static Map<String, Set<String>> subtypes(Iterable<String> classes) {
    Map<String, Set<String>> out = new HashMap<>();
    for (String c : classes) {
      for (String sup : read(bytes(c)).supertypes()) {
        out.computeIfAbsent(sup, k -> new TreeSet<>()).add(c);
      }
    }
    return out;
  }

  /**
   * Everything reachable from {@code entry} ({@code stopAt}: types reached but not expanded into
   * their subtypes, the {@link Stage} interface: the runner dispatches on it, not the stage), each
   * class with the class it was first reached from ({@code null} for the entry), for messages that
   * show the path.
   */
  static Map<String, String> reachable(
      String entry, Map<String, Set<String>> subtypes, Predicate<String> stopAt) {
    Map<String, String> from = new HashMap<>();
    from.put(entry, null);
    Deque<String> todo = new ArrayDeque<>(List.of(entry));
    while (!todo.isEmpty()) {
      String c = todo.pop();
      ClassInfo info = read(bytes(c));
      List<String> next = new ArrayList<>(info.references());
      if (info.dispatches() && !stopAt.test(c)) {
        next.addAll(subtypes.getOrDefault(c, Set.of()));
      }
      for (String x : next) {
        if (!from.containsKey(x)) {
          from.put(x, c);
          todo.add(x);
        }
      }
    }
    return from;
  }

  /** The path by which {@code c} was reached: entry, ..., c. */
  static String path(Map<String, String> from, String c) {
    List<String> p = new ArrayList<>();
    for (String x = c; x != null; x = from.get(x)) {
      p.add(0, x.substring(x.lastIndexOf('.') + 1));
    }
    return String.join(" -> ", p);
  }
}
