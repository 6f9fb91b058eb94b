package io.hatflow.model.train;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import io.hatflow.core.run.UserInputException;
import io.hatflow.core.space.SearchSpace;
import io.hatflow.model.transformer.Dropouts;
import io.hatflow.model.transformer.SuperTransformer;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * A SuperTransformer checkpoint: one file {@code checkpoint.hfc} = magic, a properties header
 * (space, qkv dim, vocabulary size, step, seed, dropout, position-table width when not the model's
 * own), the weights, optionally Adam's two moment lists (DJL's NDList encoding), and a SHA-256
 * trailer over everything before it. The {@link #digest()} is that SHA-256: the identity of the
 * weights for fitness caching and the run manifest.
 *
 * <p>Holds native memory: close it (closes the model).
 */
public final class SuperTransformerCheckpoint implements AutoCloseable {
  public static final String FILE_NAME = "checkpoint.hfc";
  private static final byte[] MAGIC =
      "HATFLOW-SUPERTRANSFORMER-1\n".getBytes(StandardCharsets.US_ASCII);

  /** The file is not a checkpoint or is damaged. */
  public static final class CorruptCheckpointException extends UserInputException {
    CorruptCheckpointException(String m) {
      super(m);
    }
  }

  /** The checkpoint belongs to another space or vocabulary. */
  public static final class MismatchedCheckpointException extends UserInputException {
    MismatchedCheckpointException(String m) {
      super(m);
    }
  }

  private final SearchSpace space;
  private final int vocabSize;
  private final long step;
  private final long seed;
  private final String digest;
  private final SuperTransformer model;
  private final NDList adamM;
  private final NDList adamV;

  private SuperTransformerCheckpoint(
      SearchSpace space,
      int vocabSize,
      long step,
      long seed,
      String digest,
      SuperTransformer model,
      NDList adamM,
      NDList adamV) {
    this.space = space;
    this.vocabSize = vocabSize;
    this.step = step;
    this.seed = seed;
    this.digest = digest;
    this.model = model;
    this.adamM = adamM;
    this.adamV = adamV;
  }

  public SearchSpace space() {
    return space;
  }

  public int vocabSize() {
    return vocabSize;
  }

  /** Updates done when it was written. */
  public long step() {
    return step;
  }

  public long seed() {
    return seed;
  }

  /** Hex SHA-256 of the checkpoint's content. */
  public String digest() {
    return digest;
  }

  public SuperTransformer model() {
    return model;
  }

  NDList adamM() {
    return adamM;
  }

  NDList adamV() {
    return adamV;
  }

  /**
   * Loads {@code path} (a checkpoint file, or a directory holding {@value #FILE_NAME}) into a new
   * base manager.
   */
  public static SuperTransformerCheckpoint load(Path path) {
    return load(path, NDManager.newBaseManager());
  }

  /** Loads into a sub-manager of {@code parent}. */
  public static SuperTransformerCheckpoint load(Path path, NDManager parent) {
    Path file = Files.isDirectory(path) ? path.resolve(FILE_NAME) : path;
    byte[] all;
    try {
      all = Files.readAllBytes(file);
    } catch (IOException e) {
      throw new UserInputException("cannot read checkpoint " + file + ": " + e.getMessage(), e);
    }
    if (all.length < MAGIC.length + 32
        || !java.util.Arrays.equals(all, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
      throw new CorruptCheckpointException(file + " is not a hatflow SuperTransformer checkpoint");
    }
    byte[] want = java.util.Arrays.copyOfRange(all, all.length - 32, all.length);
    byte[] got = sha256(all, all.length - 32);
    if (!java.util.Arrays.equals(want, got)) {
      throw new CorruptCheckpointException(
          file + " is damaged (checksum mismatch): truncated or overwritten");
    }
    try (DataInputStream in =
        new DataInputStream(
            new ByteArrayInputStream(all, MAGIC.length, all.length - 32 - MAGIC.length))) {
      byte[] hb = new byte[in.readInt()];
      in.readFully(hb);
      Properties p = new Properties();
      p.load(new StringReader(new String(hb, StandardCharsets.UTF_8)));
      SearchSpace space = spaceOf(p);
      int vocab = Integer.parseInt(p.getProperty("vocabSize"));
      Dropouts d =
          new Dropouts(
              Float.parseFloat(p.getProperty("dropout")),
              Float.parseFloat(p.getProperty("attentionDropout")),
              Float.parseFloat(p.getProperty("reluDropout")));
      SuperTransformer model =
          SuperTransformer.uninitialised(
              parent,
              space.largest(),
              space.qkvDim(),
              vocab,
              d,
              Integer.parseInt(p.getProperty("positionDim", "0")));
      model.weights().load(NDList.decode(model.manager(), in), file + " weights");
      NDList m = null;
      NDList v = null;
      if (Boolean.parseBoolean(p.getProperty("hasOptimizer"))) {
        m = NDList.decode(model.manager(), in);
        v = NDList.decode(model.manager(), in);
      }
      return new SuperTransformerCheckpoint(
          space,
          vocab,
          Long.parseLong(p.getProperty("step")),
          Long.parseLong(p.getProperty("seed")),
          HexFormat.of().formatHex(got),
          model,
          m,
          v);
    } catch (IOException | RuntimeException e) {
      if (e instanceof IllegalArgumentException iae) {
        throw iae;
      }
      throw new CorruptCheckpointException(file + " cannot be decoded: " + e);
    }
  }

  /** Fails unless this checkpoint was trained for {@code space} with {@code vocabSize}. */
  public void requireCompatible(SearchSpace expected, int expectedVocab) {
    for (String gene : SearchSpace.OPTIONAL_GENES) {
      if (expected.has(gene) && !space.has(gene)) {
        // the SuperTransformer has no weights for it (e.g. no depthwise kernels): name the gene,
        // not just the digest
        throw new MismatchedCheckpointException(
            "gene "
                + gene
                + " is in search space "
                + expected.name()
                + " but the checkpoint (search space "
                + space.name()
                + ", step "
                + step
                + ", digest "
                + digest
                + ") was trained without it; train a SuperTransformer for this space");
      }
    }
    if (!spaceDigest(space).equals(spaceDigest(expected))) {
      throw new MismatchedCheckpointException(
          "checkpoint was trained for search space "
              + space.name()
              + " ("
              + space.genes()
              + ", qkv "
              + space.qkvDim()
              + "), not "
              + expected.name()
              + " ("
              + expected.genes()
              + ", qkv "
              + expected.qkvDim()
              + ")");
    }
    if (vocabSize != expectedVocab) {
      throw new MismatchedCheckpointException(
          "checkpoint has vocabulary size " + vocabSize + ", expected " + expectedVocab);
    }
  }

  /** Writes atomically (temp file in the same directory, then rename). */
  static void write(
      Path file, SearchSpace space, SuperTransformer model, Adam adam, long step, long seed) {
    Properties p = new Properties();
    p.setProperty("space", space.name());
    p.setProperty("qkvDim", Integer.toString(space.qkvDim()));
    for (var e : space.genes().entrySet()) {
      p.setProperty("gene." + e.getKey(), join(e.getValue()));
    }
    p.setProperty("spaceDigest", spaceDigest(space));
    p.setProperty("vocabSize", Integer.toString(model.vocabSize()));
    p.setProperty("step", Long.toString(step));
    p.setProperty("seed", Long.toString(seed));
    p.setProperty("dropout", Float.toString(model.dropouts().dropout()));
    p.setProperty("attentionDropout", Float.toString(model.dropouts().attention()));
    p.setProperty("reluDropout", Float.toString(model.dropouts().relu()));
    p.setProperty("hasOptimizer", Boolean.toString(adam != null));
    // a model extracted from a wider SuperTransformer slices that one's position table (HAT): keep
    // its width,
    // or the loaded model adds other position encodings than it was trained with. Absent = its own
    // embed dim.
    if (model.positionDim() != ownEmbedDim(model)) {
      p.setProperty("positionDim", Integer.toString(model.positionDim()));
    }
    try {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      bytes.write(MAGIC);
      DataOutputStream out = new DataOutputStream(bytes);
      StringWriter sw = new StringWriter();
      // sorted, comment-free header so equal content gives equal bytes
      for (String k : new java.util.TreeSet<>(p.stringPropertyNames())) {
        sw.write(k + "=" + p.getProperty(k) + "\n");
      }
      byte[] hb = sw.toString().getBytes(StandardCharsets.UTF_8);
      out.writeInt(hb.length);
      out.write(hb);
      model.weights().toList().encode(out);
      if (adam != null) {
        adam.moments1().encode(out);
        adam.moments2().encode(out);
      }
      out.flush();
      byte[] body = bytes.toByteArray();
      bytes.write(sha256(body, body.length));
      // temporary name, then rename; the temporary file is removed on failure (a full disk stays
      // usable)
      io.hatflow.core.run.AtomicFiles.write(file, bytes.toByteArray());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write checkpoint " + file, e);
    }
  }

  private static int ownEmbedDim(SuperTransformer m) {
    return Math.max(m.shape().encoderEmbedDim(), m.shape().decoderEmbedDim());
  }

  /** Stable digest of a space's definition (name excluded: equal genes are the same space). */
  public static String spaceDigest(SearchSpace s) {
    StringBuilder b = new StringBuilder("qkv=" + s.qkvDim());
    for (var e : s.genes().entrySet()) {
      b.append(';').append(e.getKey()).append('=').append(join(e.getValue()));
    }
    byte[] d = b.toString().getBytes(StandardCharsets.UTF_8);
    return HexFormat.of().formatHex(sha256(d, d.length)).substring(0, 16);
  }

  private static SearchSpace spaceOf(Properties p) {
    Map<String, List<Integer>> g = new LinkedHashMap<>();
    for (String gene : SearchSpace.GENE_NAMES) {
      String v = p.getProperty("gene." + gene);
      if (v == null) {
        throw new CorruptCheckpointException("checkpoint header lacks gene " + gene);
      }
      List<Integer> xs = new ArrayList<>();
      for (String s : v.split(",")) {
        xs.add(Integer.parseInt(s.trim()));
      }
      g.put(gene, xs);
    }
    for (String gene :
        SearchSpace.OPTIONAL_GENES) { // Primer's genes: only in checkpoints of spaces with them
      String v = p.getProperty("gene." + gene);
      if (v != null) {
        List<Integer> xs = new ArrayList<>();
        for (String s : v.split(",")) {
          xs.add(Integer.parseInt(s.trim()));
        }
        g.put(gene, xs);
      }
    }
    return new SearchSpace(p.getProperty("space"), Integer.parseInt(p.getProperty("qkvDim")), g);
  }

  private static String join(List<Integer> xs) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < xs.size(); i++) {
      b.append(i > 0 ? "," : "").append(xs.get(i));
    }
    return b.toString();
  }

  static byte[] sha256(byte[] b, int len) {
    MessageDigest md = io.hatflow.core.run.Digests.sha256();
    md.update(b, 0, len);
    return md.digest();
  }

  @Override
  public void close() {
    model.close();
  }
}
