package io.hatflow.core.bleu;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * One segment's BLEU sufficient statistics, as sacreBLEU's {@code _compute_segment_statistics}:
 * {@code [hypLen, refLen, correct1..4, total1..4]}. Reference n-gram counts are the max over
 * references; refLen is the closest reference length (ties go to the shorter one).
 */
final class SegmentStats {
  static final int ORDER = 4;

  /** Index layout of the stats array. */
  static final int HYP_LEN = 0;

  static final int REF_LEN = 1;
  static final int CORRECT = 2;
  static final int TOTAL = 2 + ORDER;
  static final int SIZE = 2 + 2 * ORDER;

  /**
   * Ids are packed 15 bits each into a long key (order tag in bits 60-61), so at most this many
   * types.
   */
  private static final int MAX_PACKED_TYPES = (1 << 15) - 1;

  private SegmentStats() {}

  /** Adds this segment's statistics to {@code acc}. {@code refs} must be non-empty. */
  static void accumulate(String[] hyp, String[][] refs, long[] acc) {
    acc[HYP_LEN] += hyp.length;
    acc[REF_LEN] += closestRefLen(hyp.length, refs);
    for (int n = 1; n <= ORDER; n++) {
      acc[TOTAL + n - 1] += Math.max(0, hyp.length - n + 1);
    }
    if (hyp.length == 0) {
      return;
    }
    int tokenCount = hyp.length;
    for (String[] ref : refs) {
      tokenCount += ref.length;
    }
    TokenIds ids = new TokenIds(tokenCount);
    int[] hypIds = ids.of(hyp);
    int[][] refIds = new int[refs.length][];
    for (int r = 0; r < refs.length; r++) {
      refIds[r] = ids.of(refs[r]);
    }
    if (ids.size > MAX_PACKED_TYPES) {
      accumulateByStrings(hyp, refs, acc);
    } else {
      accumulatePacked(hypIds, refIds, acc);
    }
  }

  /** Segment-local token ids 1..size (open addressing: no boxing, one allocation per segment). */
  private static final class TokenIds {
    private final String[] keys;
    private final int[] values;
    private final int mask;
    int size;

    TokenIds(int maxTokens) {
      int cap = Integer.highestOneBit(Math.max(4, maxTokens) * 2) * 2;
      keys = new String[cap];
      values = new int[cap];
      mask = cap - 1;
    }

    int[] of(String[] tokens) {
      int[] out = new int[tokens.length];
      for (int i = 0; i < tokens.length; i++) {
        String t = tokens[i];
        int h = t.hashCode() * 0x9E3779B9;
        int slot = (h ^ (h >>> 16)) & mask;
        while (true) {
          String k = keys[slot];
          if (k == null) {
            keys[slot] = t;
            values[slot] = ++size; // 0 is never an id, so keys of different orders never collide
            out[i] = size;
            break;
          }
          if (k.equals(t)) {
            out[i] = values[slot];
            break;
          }
          slot = (slot + 1) & mask;
        }
      }
      return out;
    }
  }

  static int closestRefLen(int hypLen, String[][] refs) {
    int bestDiff = -1;
    int best = -1;
    for (String[] ref : refs) {
      int diff = Math.abs(hypLen - ref.length);
      if (bestDiff == -1 || diff < bestDiff) {
        bestDiff = diff;
        best = ref.length;
      } else if (diff == bestDiff && ref.length < best) {
        best = ref.length;
      }
    }
    return best;
  }

  /** Sorted n-gram keys of orders 1..4; the order (minus one) sits in bits 60-61. */
  private static long[] sortedKeys(int[] ids) {
    int len = ids.length;
    int count = 0;
    for (int n = 1; n <= ORDER; n++) {
      count += Math.max(0, len - n + 1);
    }
    long[] keys = new long[count];
    int k = 0;
    for (int n = 1; n <= ORDER; n++) {
      long tag = (long) (n - 1) << 60;
      for (int i = 0; i + n <= len; i++) {
        long key = 0;
        for (int j = 0; j < n; j++) {
          key = (key << 15) | ids[i + j];
        }
        keys[k++] = key | tag;
      }
    }
    Arrays.sort(keys);
    return keys;
  }

  private static void accumulatePacked(int[] hypIds, int[][] refIds, long[] acc) {
    long[] hk = sortedKeys(hypIds);
    // distinct hypothesis keys and their counts
    int distinct = 0;
    long[] hKeys = new long[hk.length];
    int[] hCounts = new int[hk.length];
    for (int i = 0; i < hk.length; i++) {
      if (distinct > 0 && hKeys[distinct - 1] == hk[i]) {
        hCounts[distinct - 1]++;
      } else {
        hKeys[distinct] = hk[i];
        hCounts[distinct++] = 1;
      }
    }
    int[] refMax = new int[distinct];
    for (int[] ref : refIds) {
      long[] rk = sortedKeys(ref);
      int i = 0;
      int j = 0;
      while (i < distinct && j < rk.length) {
        if (hKeys[i] < rk[j]) {
          i++;
        } else if (hKeys[i] > rk[j]) {
          j++;
        } else {
          int c = 0;
          long key = rk[j];
          while (j < rk.length && rk[j] == key) {
            c++;
            j++;
          }
          if (c > refMax[i]) {
            refMax[i] = c;
          }
          i++;
        }
      }
    }
    for (int i = 0; i < distinct; i++) {
      int order = (int) (hKeys[i] >>> 60);
      acc[CORRECT + order] += Math.min(hCounts[i], refMax[i]);
    }
  }

  /** Plain map-based counting for segments with too many token types to pack; same results. */
  static void accumulateByStrings(String[] hyp, String[][] refs, long[] acc) {
    Map<String, Integer> hypCounts = ngramCounts(hyp);
    Map<String, Integer> refMax = new HashMap<>();
    for (String[] ref : refs) {
      ngramCounts(ref).forEach((g, c) -> refMax.merge(g, c, Math::max));
    }
    hypCounts.forEach(
        (g, c) -> {
          Integer r = refMax.get(g);
          if (r != null) {
            int order = 0;
            for (int i = 0; i < g.length(); i++) {
              if (g.charAt(i) == ' ') {
                order++;
              }
            }
            acc[CORRECT + order] += Math.min(c, r);
          }
        });
  }

  /** Tokens never contain ' ' (it is a Python space), so joining with it is unambiguous. */
  private static Map<String, Integer> ngramCounts(String[] tokens) {
    Map<String, Integer> counts = new HashMap<>();
    for (int n = 1; n <= ORDER; n++) {
      for (int i = 0; i + n <= tokens.length; i++) {
        String g = String.join(" ", Arrays.asList(tokens).subList(i, i + n));
        counts.merge(g, 1, Integer::sum);
      }
    }
    return counts;
  }
}
