package io.hatflow.core.bleu;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Arrays;

/**
 * A corpus BLEU result, as sacreBLEU's {@code BLEUScore}.
 *
 * @param score BLEU in 0..100, full double precision (sacreBLEU rounds only when printing)
 * @param precisions modified n-gram precisions in percent, orders 1..4 (smoothed where smoothing
 *     applied)
 * @param bp brevity penalty
 * @param sysLen total hypothesis tokens
 * @param refLen total closest-reference tokens
 * @param counts matched n-grams per order (raw integers, before any add-k)
 * @param totals hypothesis n-grams per order (raw integers, before any add-k)
 * @param signature sacreBLEU signature, e.g. {@code
 *     nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0}
 */
public record BleuScore(
    double score,
    double[] precisions,
    double bp,
    long sysLen,
    long refLen,
    long[] counts,
    long[] totals,
    String signature) {

  private static final ObjectMapper JSON = new ObjectMapper();

  public BleuScore {
    precisions = precisions.clone();
    counts = counts.clone();
    totals = totals.clone();
  }

  @Override
  public double[] precisions() {
    return precisions.clone();
  }

  @Override
  public long[] counts() {
    return counts.clone();
  }

  @Override
  public long[] totals() {
    return totals.clone();
  }

  /** sys/ref length ratio; 0 when there are no reference tokens (as sacreBLEU). */
  public double ratio() {
    return refLen == 0 ? 0.0 : (double) sysLen / (double) refLen;
  }

  /**
   * sacreBLEU's verbose part: {@code 66.7/41.2/28.3/20.0 (BP = 0.987 ratio = 0.987 hyp_len = 123
   * ref_len = 125)}.
   */
  public String verbose() {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < precisions.length; i++) {
      if (i > 0) {
        sb.append('/');
      }
      sb.append(Bleu.fixed(precisions[i], 1));
    }
    return sb.append(" (BP = ")
        .append(Bleu.fixed(bp, 3))
        .append(" ratio = ")
        .append(Bleu.fixed(ratio(), 3))
        .append(" hyp_len = ")
        .append(sysLen)
        .append(" ref_len = ")
        .append(refLen)
        .append(')')
        .toString();
  }

  /**
   * {@code BLEU = 35.12 66.7/41.2/28.3/20.0 (BP = 0.987 ratio = 0.987 hyp_len = 123 ref_len =
   * 125)}.
   */
  public String formatted() {
    return "BLEU = " + Bleu.fixed(score, 2) + " " + verbose();
  }

  /** sacreBLEU's full line: {@code BLEU|nrefs:1|...|version:2.6.0 = 35.12 66.7/...}. */
  public String formattedWithSignature() {
    return "BLEU|" + signature + " = " + Bleu.fixed(score, 2) + " " + verbose();
  }

  /**
   * One line of JSON: name, score (full precision), signature, verbose_score, precisions, counts,
   * totals, bp, ratio, hyp_len, ref_len.
   */
  public String toJson() {
    ObjectNode o = JSON.createObjectNode();
    o.put("name", "BLEU");
    o.put("score", score);
    o.put("signature", signature);
    o.put("verbose_score", verbose());
    Arrays.stream(precisions).forEach(o.putArray("precisions")::add);
    Arrays.stream(counts).forEach(o.putArray("counts")::add);
    Arrays.stream(totals).forEach(o.putArray("totals")::add);
    o.put("bp", bp);
    o.put("ratio", ratio());
    o.put("hyp_len", sysLen);
    o.put("ref_len", refLen);
    try {
      return JSON.writeValueAsString(o);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof BleuScore b
        && Double.compare(score, b.score) == 0
        && Arrays.equals(precisions, b.precisions)
        && Double.compare(bp, b.bp) == 0
        && sysLen == b.sysLen
        && refLen == b.refLen
        && Arrays.equals(counts, b.counts)
        && Arrays.equals(totals, b.totals)
        && signature.equals(b.signature);
  }

  @Override
  public int hashCode() {
    return Double.hashCode(score) * 31 + signature.hashCode();
  }

  @Override
  public String toString() {
    return formattedWithSignature();
  }
}
