package io.hatflow.model.extract;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import io.hatflow.core.run.UserInputException;
import io.hatflow.core.space.SubConfig;
import io.hatflow.model.transformer.Dropouts;
import io.hatflow.model.transformer.SuperTransformer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Stream;

/**
 * A standalone SubTransformer directory, loadable without the SuperTransformer:
 *
 * <ul>
 *   <li>{@value #CONFIG}: the architecture in HAT's SubTransformer YAML ({@link
 *       SubConfig#toHatYaml()}),
 *   <li>{@value #PROPS}: vocabulary size, qkv dim, dropout, the source checkpoint's digest,
 *   <li>{@value #WEIGHTS}: the sliced weights (DJL NDList encoding, names as in the
 *       SuperTransformer).
 * </ul>
 *
 * Written to a temporary sibling directory and renamed into place.
 */
public final class SubTransformerModel {
  public static final String CONFIG = "subtransformer.yml";
  public static final String PROPS = "model.properties";
  public static final String WEIGHTS = "weights.ndlist";

  private SubTransformerModel() {}

  /** Slices {@code config} out of {@code superModel} into {@code dir}. */
  public static void write(
      SuperTransformer superModel, SubConfig config, String sourceDigest, Path dir) {
    SubConfig c = config.active();
    try (NDManager m = NDManager.newBaseManager();
        SuperTransformer sub = superModel.extract(m, c)) {
      Path parent = dir.toAbsolutePath().getParent();
      Files.createDirectories(parent);
      Path tmp = Files.createTempDirectory(parent, "." + dir.getFileName() + ".tmp");
      Files.writeString(tmp.resolve(CONFIG), c.toHatYaml(), StandardCharsets.UTF_8);
      Properties p = new Properties();
      p.setProperty("vocabSize", Integer.toString(sub.vocabSize()));
      p.setProperty("qkvDim", Integer.toString(sub.qkvDim()));
      p.setProperty("positionDim", Integer.toString(sub.positionDim()));
      p.setProperty("dropout", Float.toString(sub.dropouts().dropout()));
      p.setProperty("attentionDropout", Float.toString(sub.dropouts().attention()));
      p.setProperty("reluDropout", Float.toString(sub.dropouts().relu()));
      p.setProperty("sourceCheckpoint", sourceDigest == null ? "" : sourceDigest);
      p.setProperty("configKey", c.key());
      try (OutputStream o = Files.newOutputStream(tmp.resolve(PROPS))) {
        p.store(o, "hatflow SubTransformer");
      }
      try (OutputStream o = Files.newOutputStream(tmp.resolve(WEIGHTS))) {
        sub.weights().toList().encode(o);
      }
      if (Files.exists(dir)) {
        deleteTree(dir);
      }
      Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write SubTransformer to " + dir, e);
    }
  }

  /** A loaded SubTransformer: its config and a model whose shape is that config. */
  public record Loaded(SubConfig config, SuperTransformer model) implements AutoCloseable {
    @Override
    public void close() {
      model.close();
    }
  }

  public static Loaded load(Path dir, NDManager parent) {
    for (String f : List.of(CONFIG, PROPS, WEIGHTS)) {
      if (!Files.isRegularFile(dir.resolve(f))) {
        throw new UserInputException("not a SubTransformer directory: " + dir + " lacks " + f);
      }
    }
    try {
      SubConfig c =
          parseHatYaml(
              Files.readAllLines(dir.resolve(CONFIG), StandardCharsets.UTF_8), dir.resolve(CONFIG));
      Properties p = new Properties();
      try (InputStream in = Files.newInputStream(dir.resolve(PROPS))) {
        p.load(in);
      }
      Dropouts d =
          new Dropouts(
              Float.parseFloat(p.getProperty("dropout")),
              Float.parseFloat(p.getProperty("attentionDropout")),
              Float.parseFloat(p.getProperty("reluDropout")));
      SuperTransformer m =
          SuperTransformer.uninitialised(
              parent,
              c,
              Integer.parseInt(p.getProperty("qkvDim")),
              Integer.parseInt(p.getProperty("vocabSize")),
              d,
              Integer.parseInt(p.getProperty("positionDim", "0")));
      try (InputStream in = Files.newInputStream(dir.resolve(WEIGHTS))) {
        m.weights().load(NDList.decode(m.manager(), in), dir.resolve(WEIGHTS).toString());
      }
      return new Loaded(c, m);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read SubTransformer " + dir, e);
    }
  }

  /**
   * Reads HAT's {@code name-subtransformer: value} and {@code name-all-subtransformer: [a, b]}
   * lines ({@link SubConfig#toHatYaml()}).
   */
  static SubConfig parseHatYaml(List<String> lines, Path file) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < lines.size(); i++) {
      String l = lines.get(i).strip();
      if (l.isEmpty() || l.startsWith("#")) {
        continue;
      }
      int colon = l.indexOf(':');
      if (colon < 0) {
        throw new UserInputException(file + " line " + (i + 1) + ": expected 'key: value'");
      }
      String key =
          l.substring(0, colon)
              .strip()
              .replaceFirst("(-all)?-subtransformer$", "")
              .replace('-', '_');
      String v = l.substring(colon + 1).strip();
      try {
        if (v.startsWith("[")) {
          List<Object> xs = new ArrayList<>();
          for (String s : v.substring(1, v.length() - 1).split(",")) {
            String x = s.strip();
            // activations (Primer's genes) are names; SubConfig.fromHatMap checks them
            xs.add(key.endsWith("_activation") ? x : Integer.valueOf(Integer.parseInt(x)));
          }
          m.put(key, xs);
        } else {
          m.put(key, Integer.parseInt(v));
        }
      } catch (NumberFormatException e) {
        throw new UserInputException(file + " line " + (i + 1) + ": bad number in '" + v + "'");
      }
    }
    return SubConfig.fromHatMap(m);
  }

  private static void deleteTree(Path dir) throws IOException {
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
