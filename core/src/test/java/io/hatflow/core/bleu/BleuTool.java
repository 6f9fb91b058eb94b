package io.hatflow.core.bleu;

import java.io.BufferedWriter;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Driver for launch/bench/bleu.sh (not a test): {@code score HYP REF TOK LC SMOOTH EFF} prints toJson();
 * {@code tok KIND FILE} prints one tokenized line per input line; {@code bench SEGMENTS} times corpus BLEU.
 */
public final class BleuTool {
  private BleuTool() {}

  public static void main(String[] args) throws Exception {
    switch (args[0]) {
      case "score" -> {
        BleuOptions o = new BleuOptions(BleuOptions.Tokenize.fromName(args[3]), Boolean.parseBoolean(args[4]),
            BleuOptions.Smoothing.fromName(args[5]), null, Boolean.parseBoolean(args[6]), true);
        System.out.println(Bleu.scoreFiles(Path.of(args[1]), Path.of(args[2]), o).toJson());
      }
      case "tok" -> {
        BleuOptions.Tokenize kind = BleuOptions.Tokenize.fromName(args[1]);
        try (BufferedWriter w = new BufferedWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8))) {
          for (String line : Bleu.readLines(Path.of(args[2]))) {
            w.write(String.join(" ", Bleu.preprocess(line, BleuOptions.defaults().withTokenize(kind))));
            w.write('\n');
          }
        }
      }
      case "bench" -> bench(Integer.parseInt(args[1]), args.length > 2 ? Path.of(args[2]) : null);
      default -> throw new IllegalArgumentException("unknown mode " + args[0]);
    }
  }

  /** Builds a corpus of N segments by cycling real lines (or synthetic ones) and a perturbed copy. */
  private static void bench(int n, Path source) {
    List<String> base = source != null ? Bleu.readLines(source) : List.of(
        "A man in an orange hat starring at something.", "Two young, White males are outside near many bushes.");
    Random rnd = new Random(1);
    List<String> refs = new ArrayList<>(n);
    List<String> hyps = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      String ref = base.get(i % base.size());
      refs.add(ref);
      String[] w = ref.split(" ");
      int a = rnd.nextInt(w.length);
      int b = rnd.nextInt(w.length);
      String t = w[a];
      w[a] = w[b];
      w[b] = t;
      hyps.add(String.join(" ", Arrays.copyOf(w, Math.max(1, w.length - rnd.nextInt(2)))));
    }
    for (BleuOptions.Tokenize kind : new BleuOptions.Tokenize[] {BleuOptions.Tokenize.THIRTEEN_A,
        BleuOptions.Tokenize.INTL}) {
      BleuOptions o = BleuOptions.defaults().withTokenize(kind);
      double[] secs = new double[5];
      BleuScore s = null;
      for (int r = 0; r < secs.length; r++) {
        long t0 = System.nanoTime();
        s = Bleu.corpusBleu(hyps, refs, o);
        secs[r] = (System.nanoTime() - t0) / 1e9;
      }
      double[] sorted = secs.clone();
      Arrays.sort(sorted);
      System.out.printf("tok=%s segments=%d runs=%s median=%.3fs  %s%n", kind.sacrebleuName(), n,
          Arrays.toString(Arrays.stream(secs).map(x -> Math.round(x * 1000) / 1000.0).toArray()), sorted[2],
          s.formatted());
    }
  }
}
