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
 * Driver for launch/bench/bleu.sh (not a test): {@code score HYP REF TOK LC SMOOTH EFF} prints
 * toJson(); {@code grid HYP REF} prints every option combination; {@code tok KIND FILE [lc]} prints
 * one tokenized line per input line; {@code bench SEGMENTS} times corpus BLEU.
 */
public final class BleuTool {
  private BleuTool() {}

  public static void main(String[] args) throws Exception {
    switch (args[0]) {
      case "score" -> {
        BleuOptions o =
            new BleuOptions(
                BleuOptions.Tokenize.fromName(args[3]),
                Boolean.parseBoolean(args[4]),
                BleuOptions.Smoothing.fromName(args[5]),
                null,
                Boolean.parseBoolean(args[6]),
                true);
        System.out.println(Bleu.scoreFiles(Path.of(args[1]), Path.of(args[2]), o).toJson());
      }
      case "grid" -> {
        // every tokenizer x case x smoothing, one line each, in the format of
        // launch/bench/sacrebleu_grid.py
        for (BleuOptions.Tokenize t : BleuOptions.Tokenize.values()) {
          for (boolean lc : new boolean[] {false, true}) {
            for (BleuOptions.Smoothing sm : BleuOptions.Smoothing.values()) {
              for (boolean eff : new boolean[] {false, true}) {
                BleuOptions o = new BleuOptions(t, lc, sm, null, eff, true);
                BleuScore s = Bleu.scoreFiles(Path.of(args[1]), Path.of(args[2]), o);
                System.out.println(
                    s.formattedWithSignature()
                        + "\t"
                        + s.score()
                        + "\t"
                        + Arrays.toString(s.counts())
                        + "\t"
                        + Arrays.toString(s.totals()));
              }
            }
          }
        }
      }
      case "tok" -> {
        BleuOptions.Tokenize kind = BleuOptions.Tokenize.fromName(args[1]);
        try (BufferedWriter w =
            new BufferedWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8))) {
          for (String line : Bleu.readLines(Path.of(args[2]))) {
            BleuOptions o =
                BleuOptions.defaults().withTokenize(kind).withLowercase(args.length > 3);
            w.write(String.join(" ", Bleu.preprocess(line, o)));
            w.write('\n');
          }
        }
      }
      case "bench" -> bench(Integer.parseInt(args[1]), args.length > 2 ? Path.of(args[2]) : null);
      default -> throw new IllegalArgumentException("unknown mode " + args[0]);
    }
  }

  /**
   * Builds a corpus of N segments by cycling real lines (or synthetic ones) and a perturbed copy.
   */
  private static void bench(int n, Path source) {
    List<String> base =
        source != null
            ? Bleu.readLines(source)
            : List.of(
                "A man in an orange hat starring at something.",
                "Two young, White males are outside near many bushes.");
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
    for (BleuOptions.Tokenize kind :
        new BleuOptions.Tokenize[] {BleuOptions.Tokenize.THIRTEEN_A, BleuOptions.Tokenize.INTL}) {
      BleuOptions o = BleuOptions.defaults().withTokenize(kind);
      double[] secs = new double[5];
      double[] cpu = new double[5];
      com.sun.management.OperatingSystemMXBean os =
          (com.sun.management.OperatingSystemMXBean)
              java.lang.management.ManagementFactory.getOperatingSystemMXBean();
      BleuScore s = null;
      for (int r = 0; r < secs.length; r++) {
        long c0 = os.getProcessCpuTime();
        long t0 = System.nanoTime();
        s = Bleu.corpusBleu(hyps, refs, o);
        secs[r] = (System.nanoTime() - t0) / 1e9;
        cpu[r] = (os.getProcessCpuTime() - c0) / 1e9;
      }
      System.out.printf(
          "tok=%s segments=%d wall=%s median %.2fs; cpu=%s median %.2fs (%d cores)%n  %s%n",
          kind.sacrebleuName(),
          n,
          round(secs),
          median(secs),
          round(cpu),
          median(cpu),
          Runtime.getRuntime().availableProcessors(),
          s.formatted());
    }
  }

  private static String round(double[] xs) {
    return Arrays.toString(Arrays.stream(xs).map(x -> Math.round(x * 100) / 100.0).toArray());
  }

  private static double median(double[] xs) {
    double[] sorted = xs.clone();
    Arrays.sort(sorted);
    return sorted[sorted.length / 2];
  }
}
