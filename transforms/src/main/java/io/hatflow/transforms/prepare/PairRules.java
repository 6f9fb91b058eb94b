package io.hatflow.transforms.prepare;

import io.hatflow.schemas.SentencePair;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;

/** The pure rules behind the prepare transforms, testable without a runner. */
public final class PairRules {
  private PairRules() {}

  /** Hex characters of SHA-256 kept in a pair id (64 bits). */
  public static final int ID_HEX_CHARS = 16;

  /** Why a pair is dropped; the names appear in metrics, stats and the manifest. */
  public enum DropReason {
    EMPTY,
    TOO_LONG,
    RATIO,
    DUPLICATE;

    public String label() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /** Stable id of a normalised pair: the hex SHA-256 prefix of {@code src + "\t" + tgt}. */
  public static String pairId(String src, String tgt) {
    return HexFormat.of().formatHex(sha256(src + "\t" + tgt), 0, ID_HEX_CHARS / 2);
  }

  static byte[] sha256(String s) {
    return io.hatflow.core.run.Digests.sha256().digest(s.getBytes(StandardCharsets.UTF_8));
  }

  /**
   * The reason an encoded pair is dropped, or null to keep it. Every split drops pairs with an
   * empty side; the length and ratio limits apply to train only, so valid and test stay complete
   * for evaluation.
   */
  public static DropReason dropReason(
      int srcLen, int tgtLen, boolean train, int maxTokens, double maxRatio) {
    if (srcLen == 0 || tgtLen == 0) {
      return DropReason.EMPTY;
    }
    if (!train) {
      return null;
    }
    if (srcLen > maxTokens || tgtLen > maxTokens) {
      return DropReason.TOO_LONG;
    }
    if ((double) Math.max(srcLen, tgtLen) / Math.min(srcLen, tgtLen) > maxRatio) {
      return DropReason.RATIO;
    }
    return null;
  }

  /**
   * Index of the smallest bound {@code >= max(srcLen, tgtLen)}; {@code bounds.size()} when longer
   * than all.
   */
  public static int bucketOf(int srcLen, int tgtLen, List<Integer> bounds) {
    int len = Math.max(srcLen, tgtLen);
    for (int i = 0; i < bounds.size(); i++) {
      if (len <= bounds.get(i)) {
        return i;
      }
    }
    return bounds.size();
  }

  /** A fresh record holding raw text, before normalisation and encoding. */
  public static SentencePair rawPair(String split, String src, String tgt) {
    return SentencePair.newBuilder()
        .setId("")
        .setSplit(split)
        .setSrc(src)
        .setTgt(tgt)
        .setSrcIds(List.of())
        .setTgtIds(List.of())
        .setSrcLen(0)
        .setTgtLen(0)
        .setBucket(-1)
        .build();
  }
}
