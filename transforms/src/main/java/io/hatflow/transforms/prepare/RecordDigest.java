package io.hatflow.transforms.prepare;

import io.hatflow.schemas.SentencePair;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Serializable;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CoderRegistry;
import org.apache.beam.sdk.coders.CustomCoder;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.values.PCollection;

/**
 * An order-independent digest of a set of records, to show two runners wrote the same data: each
 * record's SHA-256 is added lane-wise (4 × 64-bit, wrapping) into a sum, with the record count; the
 * digest is the SHA-256 of count and sum. Addition commutes, so the digest does not depend on
 * order, sharding or bundling.
 */
public final class RecordDigest extends PTransform<PCollection<SentencePair>, PCollection<String>> {
  public static RecordDigest create() {
    return new RecordDigest();
  }

  /** SHA-256 of a canonical encoding of every field. */
  public static byte[] recordHash(SentencePair p) {
    MessageDigest md = sha256();
    for (CharSequence s : new CharSequence[] {p.getId(), p.getSplit(), p.getSrc(), p.getTgt()}) {
      byte[] b = s.toString().getBytes(StandardCharsets.UTF_8);
      md.update(ByteBuffer.allocate(4).putInt(b.length).array());
      md.update(b);
    }
    for (java.util.List<Integer> ids : java.util.List.of(p.getSrcIds(), p.getTgtIds())) {
      ByteBuffer bb = ByteBuffer.allocate(4 + 4 * ids.size()).putInt(ids.size());
      ids.forEach(bb::putInt);
      md.update(bb.array());
    }
    md.update(
        ByteBuffer.allocate(12)
            .putInt(p.getSrcLen())
            .putInt(p.getTgtLen())
            .putInt(p.getBucket())
            .array());
    return md.digest();
  }

  /** Accumulated count and lane sums. */
  public static final class Acc implements Serializable {
    private static final long serialVersionUID = 1L;
    long count;
    final long[] lanes = new long[4];

    void add(byte[] hash) {
      ByteBuffer b = ByteBuffer.wrap(hash);
      for (int i = 0; i < 4; i++) {
        lanes[i] += b.getLong();
      }
      count++;
    }

    void merge(Acc o) {
      for (int i = 0; i < 4; i++) {
        lanes[i] += o.lanes[i];
      }
      count += o.count;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Acc a && a.count == count && java.util.Arrays.equals(a.lanes, lanes);
    }

    @Override
    public int hashCode() {
      return java.util.Arrays.hashCode(lanes) * 31 + Long.hashCode(count);
    }

    String hex() {
      ByteBuffer b = ByteBuffer.allocate(40).putLong(count);
      for (long l : lanes) {
        b.putLong(l);
      }
      return HexFormat.of().formatHex(sha256().digest(b.array()));
    }
  }

  /** The digest of records in memory (the pure function behind the transform). */
  public static String of(Iterable<SentencePair> records) {
    Acc a = new Acc();
    records.forEach(p -> a.add(recordHash(p)));
    return a.hex();
  }

  static MessageDigest sha256() {
    return io.hatflow.core.run.Digests.sha256();
  }

  static final class DigestFn extends Combine.CombineFn<SentencePair, Acc, String> {
    @Override
    public Acc createAccumulator() {
      return new Acc();
    }

    @Override
    public Acc addInput(Acc acc, SentencePair p) {
      acc.add(recordHash(p));
      return acc;
    }

    @Override
    public Acc mergeAccumulators(Iterable<Acc> accs) {
      Acc out = new Acc();
      accs.forEach(out::merge);
      return out;
    }

    @Override
    public String extractOutput(Acc acc) {
      return acc.hex();
    }

    @Override
    public Coder<Acc> getAccumulatorCoder(CoderRegistry registry, Coder<SentencePair> inputCoder) {
      return new AccCoder();
    }
  }

  static final class AccCoder extends CustomCoder<Acc> {
    @Override
    public void encode(Acc a, OutputStream out) throws IOException {
      DataOutputStream d = new DataOutputStream(out);
      d.writeLong(a.count);
      for (long l : a.lanes) {
        d.writeLong(l);
      }
      d.flush();
    }

    @Override
    public Acc decode(InputStream in) throws IOException {
      DataInputStream d = new DataInputStream(in);
      Acc a = new Acc();
      a.count = d.readLong();
      for (int i = 0; i < 4; i++) {
        a.lanes[i] = d.readLong();
      }
      return a;
    }

    @Override
    public void verifyDeterministic() {}

    @Override
    public boolean consistentWithEquals() {
      return true;
    }
  }

  @Override
  public PCollection<String> expand(PCollection<SentencePair> records) {
    return records.apply("Digest", Combine.globally(new DigestFn()));
  }
}
