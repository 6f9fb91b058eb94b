package io.hatflow.core.text;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.TreeSet;

/**
 * Learns byte-pair-encoding merges (Sennrich et al. 2016) from word counts. Deterministic: words
 * are processed in sorted order and ties between equally frequent pairs go to the lexicographically
 * smallest (left, right). Incremental: pair counts are updated only in the words that contain the
 * merged pair (found through a pair-to-words index), and the best pair comes from a heap with lazy
 * deletion, so a 32K vocabulary over a few hundred thousand distinct words takes seconds, not a
 * re-count per merge.
 */
public final class BpeLearner {
  private BpeLearner() {}

  /** One merge: the adjacent symbols {@code left} and {@code right} become {@code left + right}. */
  public record Merge(String left, String right) {
    public String joined() {
      return left + right;
    }
  }

  /** The learned alphabet (all characters seen, sorted) and the merges in the order they apply. */
  public record Result(List<String> alphabet, List<Merge> merges) {
    public Result {
      alphabet = List.copyOf(alphabet);
      merges = List.copyOf(merges);
    }
  }

  /** Pairs seen fewer times than this are not merged (as subword-nmt's default). */
  public static final long MIN_PAIR_COUNT = 2;

  /**
   * @param wordCounts pre-tokenised words ({@link PreTokenizer}) and their counts, over source and
   *     target together
   * @param vocabSize target number of ids including the {@link SpecialTokens#COUNT} reserved ones;
   *     learning stops earlier when no pair occurs {@link #MIN_PAIR_COUNT} times. The alphabet is
   *     always kept whole, so a tiny target can be exceeded.
   */
  public static Result learn(Map<String, Long> wordCounts, int vocabSize) {
    return new State(wordCounts).run(vocabSize);
  }

  private static long key(int left, int right) {
    return ((long) left << 32) | (right & 0xffffffffL);
  }

  private static final class IntList {
    int[] a = new int[4];
    int n;

    void add(int v) {
      if (n == a.length) {
        a = Arrays.copyOf(a, n * 2);
      }
      a[n++] = v;
    }
  }

  private record Candidate(long count, int left, int right) {}

  private static final class State {
    final List<String> symbols = new ArrayList<>();
    final Map<String, Integer> symbolIds = new HashMap<>();
    final int[][] words;
    final int[] wordLen;
    final long[] counts;
    final HashMap<Long, Long> pairCounts = new HashMap<>();
    final HashMap<Long, IntList> index = new HashMap<>();
    final PriorityQueue<Candidate> heap;
    final List<String> alphabet;

    State(Map<String, Long> wordCounts) {
      String[] sorted = wordCounts.keySet().toArray(new String[0]);
      Arrays.sort(sorted);
      TreeSet<String> chars = new TreeSet<>();
      for (String w : sorted) {
        w.codePoints().forEach(cp -> chars.add(new String(Character.toChars(cp))));
      }
      alphabet = List.copyOf(chars);
      for (String c : alphabet) {
        symbolIds.put(c, symbols.size());
        symbols.add(c);
      }
      words = new int[sorted.length][];
      wordLen = new int[sorted.length];
      counts = new long[sorted.length];
      for (int w = 0; w < sorted.length; w++) {
        int[] cps = sorted[w].codePoints().toArray();
        int[] s = new int[cps.length];
        for (int i = 0; i < cps.length; i++) {
          s[i] = symbolIds.get(new String(Character.toChars(cps[i])));
        }
        words[w] = s;
        wordLen[w] = s.length;
        Long c = wordCounts.get(sorted[w]);
        if (c == null || c < 0) {
          throw new IllegalArgumentException("word count for '" + sorted[w] + "' is " + c);
        }
        counts[w] = c;
        for (int i = 0; i + 1 < s.length; i++) {
          long k = key(s[i], s[i + 1]);
          pairCounts.merge(k, counts[w], Long::sum);
          index.computeIfAbsent(k, x -> new IntList()).add(w);
        }
      }
      heap =
          new PriorityQueue<>(
              Math.max(16, pairCounts.size()),
              (x, y) -> {
                int c = Long.compare(y.count, x.count);
                if (c != 0) {
                  return c;
                }
                c = symbols.get(x.left).compareTo(symbols.get(y.left));
                return c != 0 ? c : symbols.get(x.right).compareTo(symbols.get(y.right));
              });
      pairCounts.forEach((k, c) -> heap.add(new Candidate(c, (int) (k >>> 32), (int) (long) k)));
    }

    Result run(int vocabSize) {
      List<Merge> merges = new ArrayList<>();
      while (SpecialTokens.COUNT + symbols.size() < vocabSize) {
        Candidate best = pollValid();
        if (best == null || best.count < MIN_PAIR_COUNT) {
          break;
        }
        String joined = symbols.get(best.left) + symbols.get(best.right);
        Integer merged = symbolIds.get(joined);
        if (merged == null) {
          merged = symbols.size();
          symbols.add(joined);
          symbolIds.put(joined, merged);
        }
        merges.add(new Merge(symbols.get(best.left), symbols.get(best.right)));
        apply(best.left, best.right, merged);
      }
      return new Result(alphabet, merges);
    }

    Candidate pollValid() {
      while (!heap.isEmpty()) {
        Candidate c = heap.poll();
        Long current = pairCounts.get(key(c.left, c.right));
        if (current != null && current == c.count) {
          return c;
        }
      }
      return null;
    }

    void apply(int left, int right, int merged) {
      long mergedKey = key(left, right);
      IntList affected = index.remove(mergedKey);
      pairCounts.remove(mergedKey);
      if (affected == null) {
        return;
      }
      int[] ws = Arrays.copyOf(affected.a, affected.n);
      Arrays.sort(ws);
      HashMap<Long, Long> delta = new HashMap<>();
      int prev = -1;
      for (int w : ws) {
        if (w == prev) {
          continue;
        }
        prev = w;
        int[] s = words[w];
        int n = wordLen[w];
        long c = counts[w];
        int out = 0;
        boolean changed = false;
        for (int i = 0; i < n; ) {
          if (i + 1 < n && s[i] == left && s[i + 1] == right) {
            changed = true;
            break;
          }
          i++;
        }
        if (!changed) {
          continue; // stale index entry
        }
        for (int i = 0; i + 1 < n; i++) {
          long k = key(s[i], s[i + 1]);
          if (k != mergedKey) {
            delta.merge(k, -c, Long::sum);
          }
        }
        for (int i = 0; i < n; ) {
          if (i + 1 < n && s[i] == left && s[i + 1] == right) {
            s[out++] = merged;
            i += 2;
          } else {
            s[out++] = s[i++];
          }
        }
        wordLen[w] = out;
        for (int i = 0; i + 1 < out; i++) {
          long k = key(s[i], s[i + 1]);
          delta.merge(k, c, Long::sum);
          if (s[i] == merged || s[i + 1] == merged) {
            index.computeIfAbsent(k, x -> new IntList()).add(w);
          }
        }
      }
      delta.forEach(
          (k, d) -> {
            if (d == 0) {
              return;
            }
            long now = pairCounts.merge(k, d, Long::sum);
            if (now <= 0) {
              pairCounts.remove(k);
              index.remove(k);
            } else {
              heap.add(new Candidate(now, (int) (k >>> 32), (int) (long) k));
            }
          });
    }
  }
}
