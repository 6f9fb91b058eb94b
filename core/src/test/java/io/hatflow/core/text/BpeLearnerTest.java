package io.hatflow.core.text;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.hatflow.core.text.BpeLearner.Merge;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class BpeLearnerTest {
  private static final Map<String, Long> SENNRICH =
      Map.of("low", 5L, "lower", 2L, "newest", 6L, "widest", 3L);

  /**
   * Worked by hand: pair counts e-s 9, s-t 9 (tie: "e" < "s"), then es-t 9, then l-o 7 and o-w 7
   * (tie: "l" first), lo-w 7, then e-w, n-e, w-est all 6 (tie: "e" first).
   */
  @Test
  void learnsTheHandCheckedMerges() {
    BpeLearner.Result r = BpeLearner.learn(SENNRICH, SpecialTokens.COUNT + 10 + 5);
    assertEquals(List.of("d", "e", "i", "l", "n", "o", "r", "s", "t", "w"), r.alphabet());
    assertEquals(
        List.of(
            new Merge("e", "s"),
            new Merge("es", "t"),
            new Merge("l", "o"),
            new Merge("lo", "w"),
            new Merge("e", "w")),
        r.merges());
  }

  @Test
  void stopsWhenNoPairIsFrequentEnough() {
    BpeLearner.Result r = BpeLearner.learn(Map.of("ab", 1L, "cd", 1L), 100);
    assertEquals(List.of(), r.merges());
    BpeLearner.Result r2 = BpeLearner.learn(Map.of("aaaa", 1L), 100);
    // a-a occurs 3 times in one word; after "aa" the word is "aa aa", whose pair occurs once
    assertEquals(List.of(new Merge("a", "a")), r2.merges());
  }

  @Test
  void isIndependentOfInputOrder() {
    Map<String, Long> counts = new HashMap<>();
    String text =
        "the cat sat on the mat . the dog sat on the log , then the cat ate the rat . "
            + "a cat and a dog and a rat met on a mat at the dock";
    for (String w : text.split(" ")) {
      counts.merge(PreTokenizer.MARKER + w, 1L, Long::sum);
    }
    Map<String, Long> reversed = new TreeMap<>(Comparator.reverseOrder());
    reversed.putAll(counts);
    BpeLearner.Result a = BpeLearner.learn(counts, 40);
    BpeLearner.Result b = BpeLearner.learn(reversed, 40);
    assertEquals(a, b);
    assertEquals(40, Vocabulary.of(a).size());
  }

  /** The incremental counts must give what a naive recount per merge gives. */
  @Test
  void matchesNaiveRecount() {
    Map<String, Long> counts = new HashMap<>();
    java.util.Random rnd = new java.util.Random(7);
    for (int i = 0; i < 400; i++) {
      StringBuilder sb = new StringBuilder();
      int len = 1 + rnd.nextInt(8);
      for (int j = 0; j < len; j++) {
        sb.append((char) ('a' + rnd.nextInt(4)));
      }
      counts.merge(sb.toString(), 1L + rnd.nextInt(5), Long::sum);
    }
    BpeLearner.Result fast = BpeLearner.learn(counts, 80);
    assertEquals(naive(counts, fast.merges().size()), fast.merges());
  }

  private static List<Merge> naive(Map<String, Long> counts, int steps) {
    Map<List<String>, Long> words = new HashMap<>();
    counts.forEach(
        (w, c) -> words.put(w.chars().mapToObj(ch -> String.valueOf((char) ch)).toList(), c));
    List<Merge> out = new java.util.ArrayList<>();
    for (int s = 0; s < steps; s++) {
      Map<Merge, Long> pairs = new HashMap<>();
      words.forEach(
          (w, c) -> {
            for (int i = 0; i + 1 < w.size(); i++) {
              pairs.merge(new Merge(w.get(i), w.get(i + 1)), c, Long::sum);
            }
          });
      Merge best =
          pairs.entrySet().stream()
              .min(
                  (x, y) -> {
                    int cmp = Long.compare(y.getValue(), x.getValue());
                    if (cmp != 0) {
                      return cmp;
                    }
                    cmp = x.getKey().left().compareTo(y.getKey().left());
                    return cmp != 0 ? cmp : x.getKey().right().compareTo(y.getKey().right());
                  })
              .orElseThrow()
              .getKey();
      out.add(best);
      Map<List<String>, Long> next = new HashMap<>();
      words.forEach(
          (w, c) -> {
            List<String> m = new java.util.ArrayList<>();
            for (int i = 0; i < w.size(); ) {
              if (i + 1 < w.size()
                  && w.get(i).equals(best.left())
                  && w.get(i + 1).equals(best.right())) {
                m.add(best.joined());
                i += 2;
              } else {
                m.add(w.get(i++));
              }
            }
            next.merge(m, c, Long::sum);
          });
      words.clear();
      words.putAll(next);
    }
    return out;
  }
}
