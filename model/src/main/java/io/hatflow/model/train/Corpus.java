package io.hatflow.model.train;

import io.hatflow.core.run.UserInputException;
import io.hatflow.schemas.SentencePair;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import org.apache.avro.file.DataFileReader;
import org.apache.avro.specific.SpecificDatumReader;

/**
 * Sentence pairs of one split read from {@code <dir>/<split>-*.avro} (files in name order), and
 * their batching by token count: pairs sorted by (bucket, source length, target length, id), cut
 * greedily into batches whose padded size stays within {@code maxTokens}. The batch list is a pure
 * function of the data.
 */
public final class Corpus {
  /** One pair's ids. */
  public record Pair(String id, int bucket, int[] src, int[] tgt) {}

  private Corpus() {}

  public static List<Pair> read(Path dir, String split) {
    return pairs(records(dir, split));
  }

  /** The pairs of these shard files, in the order given. */
  public static List<Pair> read(List<Path> shards) {
    return pairs(records(shards));
  }

  private static List<Pair> pairs(List<SentencePair> records) {
    List<Pair> out = new ArrayList<>();
    for (SentencePair p : records) {
      out.add(new Pair(p.getId(), p.getBucket(), ints(p.getSrcIds()), ints(p.getTgtIds())));
    }
    return out;
  }

  /** A split's shard files in name order (prepare's {@code <split>-*.avro}). */
  public static List<Path> shards(Path dir, String split) {
    List<Path> files = new ArrayList<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, split + "-*.avro")) {
      ds.forEach(files::add);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + dir, e);
    }
    if (files.isEmpty()) {
      throw new UserInputException("no " + split + "-*.avro shards in " + dir);
    }
    files.sort(Comparator.comparing(p -> p.getFileName().toString()));
    return files;
  }

  /**
   * Every {@code SentencePair} of a split, shard files in name order (prepare's {@code
   * <split>-*.avro}).
   */
  public static List<SentencePair> records(Path dir, String split) {
    return records(shards(dir, split));
  }

  static List<SentencePair> records(List<Path> files) {
    List<SentencePair> out = new ArrayList<>();
    for (Path f : files) {
      try (DataFileReader<SentencePair> r =
          new DataFileReader<>(f.toFile(), new SpecificDatumReader<>(SentencePair.class))) {
        r.forEach(out::add);
      } catch (IOException e) {
        throw new UserInputException(
            "cannot read sentence pairs from " + f + ": " + e.getMessage(), e);
      }
    }
    return out;
  }

  private static int[] ints(List<Integer> xs) {
    int[] a = new int[xs.size()];
    for (int i = 0; i < a.length; i++) {
      a[i] = xs.get(i);
    }
    return a;
  }

  /**
   * Token-budget batches in length order (deterministic). A pair longer than the budget gets its
   * own batch.
   */
  public static List<Batch> batches(List<Pair> pairs, int maxTokens) {
    List<Pair> sorted = new ArrayList<>(pairs);
    sorted.sort(
        Comparator.comparingInt(Pair::bucket)
            .thenComparingInt(p -> p.src().length)
            .thenComparingInt(p -> p.tgt().length)
            .thenComparing(Pair::id));
    List<Batch> out = new ArrayList<>();
    List<int[]> s = new ArrayList<>();
    List<int[]> t = new ArrayList<>();
    int width = 0;
    for (Pair p : sorted) {
      int w = Math.max(p.src().length, p.tgt().length) + 1;
      int nw = Math.max(width, w);
      if (!s.isEmpty() && nw * (s.size() + 1) > maxTokens) {
        out.add(Batch.of(s, t));
        s = new ArrayList<>();
        t = new ArrayList<>();
        nw = w;
      }
      s.add(p.src());
      t.add(p.tgt());
      width = nw;
    }
    if (!s.isEmpty()) {
      out.add(Batch.of(s, t));
    }
    return out;
  }

  /**
   * The first {@code n} pairs in id order: a fixed validation subset independent of file layout.
   */
  public static List<Pair> subset(List<Pair> pairs, int n) {
    List<Pair> sorted = new ArrayList<>(pairs);
    sorted.sort(Comparator.comparing(Pair::id));
    return sorted.subList(0, Math.min(n, sorted.size()));
  }

  /** Batch visiting order of an epoch: a permutation seeded by (seed, epoch). */
  static int[] epochOrder(int batches, long seed, long epoch) {
    int[] order = new int[batches];
    for (int i = 0; i < batches; i++) {
      order[i] = i;
    }
    Random r = Seeds.random(seed, 0x9E3779B97F4A7C15L, epoch);
    for (int i = batches - 1; i > 0; i--) {
      int j = r.nextInt(i + 1);
      int x = order[i];
      order[i] = order[j];
      order[j] = x;
    }
    return order;
  }
}
