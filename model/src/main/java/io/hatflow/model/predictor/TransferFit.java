package io.hatflow.model.predictor;

import io.hatflow.core.latency.LatencyRow;
import io.hatflow.core.latency.LatencyTable;
import io.hatflow.core.run.UserInputException;
import io.hatflow.core.space.Features;
import io.hatflow.core.space.SearchSpace;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Fits a predictor for a new device from a few of its rows and the latency sets of other devices of
 * the same space. Latency is close to (encoder cost) + (decoder cost), and devices differ mostly in
 * how expensive each part is, so the <em>shape</em> comes from a source device and the new device's
 * rows fit only what is device-specific:
 *
 * <ol>
 *   <li>per source, relative-error least squares on the interaction features ({@link
 *       FeatureSet#INTERACTIONS}), one for the encoder's and one for the decoder's latency, on all
 *       of the source's rows;
 *   <li>per source, the new device's encoder and decoder scales (relative error), the decoder
 *       either as one part or as its per-layer terms and the rest (the output projection,
 *       embeddings: a vocabulary or a device can change them apart); the source and split whose
 *       scaled models have the lowest leave-one-out relative error on the new rows are kept;
 *   <li>a relative correction {@code 1 + r(x)}, linear in HAT's 10 standardised features,
 *       ridge-regularised; the strength (or none) chosen by leave-one-out on the new rows.
 * </ol>
 *
 * Everything is chosen on the new device's rows only (leave-one-out), never on held-out test rows.
 * A few dozen small least-squares problems: milliseconds.
 */
public final class TransferFit {
  private TransferFit() {}

  /**
   * Fewest rows of the new device a transfer fit takes (scales and leave-one-out need a handful).
   */
  public static final int MIN_ROWS = 4;

  /** Residual ridge strengths tried, on standardised features; infinity = no residual. */
  static final double[] RIDGES = {Double.POSITIVE_INFINITY, 100, 30, 10, 3, 1, 0.3};

  /** A source device's latency set, named by content digest in what the fit records. */
  public record Source(String name, String sha256, LatencyTable table) {}

  /** The fitted predictor, its leave-one-out metrics on the new rows, and what was chosen. */
  public record Result(
      TransferPredictor predictor,
      Metrics train,
      Metrics leaveOneOut,
      String selection,
      double fitSeconds) {}

  /**
   * A candidate shape: a source's models, the decoder split or not, and their parts on the new
   * rows.
   */
  private record Base(
      Source source,
      LinearPredictor encoder,
      LinearPredictor decoder,
      boolean split,
      double[][] parts) {
    double at(double[] ab, int i) {
      double s = 0;
      for (int p = 0; p < ab.length; p++) {
        s += ab[p] * parts[i][p];
      }
      return s;
    }

    String label() {
      return source.name() + (split ? " (decoder split)" : "");
    }
  }

  public static Result fit(List<LatencyRow> rows, List<Source> sources) {
    if (rows.size() < MIN_ROWS) {
      throw new UserInputException(
          "a transfer fit needs at least "
              + MIN_ROWS
              + " rows of the new device, got "
              + rows.size());
    }
    if (sources.isEmpty()) {
      throw new UserInputException("a transfer fit needs at least one source latency set");
    }
    long t0 = System.nanoTime();
    double[][] x = LatencyTable.features(rows);
    double[] y = LatencyTable.targetsMs(rows);
    int n = y.length;
    Base best = null;
    double bestErr = Double.POSITIVE_INFINITY;
    StringBuilder tried = new StringBuilder();
    for (Source s : sources) {
      List<LatencyRow> sr = s.table().rows();
      double[][] sx = LatencyTable.features(sr);
      double[] se = new double[sr.size()], sd = new double[sr.size()];
      for (int i = 0; i < se.length; i++) {
        se[i] = sr.get(i).meanEncoderMs();
        sd[i] = sr.get(i).meanDecoderMs();
      }
      LinearPredictor enc =
          LinearPredictor.fit("transfer-encoder", FeatureSet.INTERACTIONS, sx, se, true);
      LinearPredictor dec =
          LinearPredictor.fit("transfer-decoder", FeatureSet.INTERACTIONS, sx, sd, true);
      for (boolean split : new boolean[] {false, true}) {
        Base b = new Base(s, enc, dec, split, TransferPredictor.parts(enc, dec, split, x));
        double err = looScaleOnly(b, y);
        tried.append(String.format(Locale.ROOT, " %s %.5f;", b.label(), Math.sqrt(err)));
        if (err < bestErr) {
          bestErr = err;
          best = b;
        }
      }
    }
    // Residual features standardised on the new rows (features only, no targets: fine inside
    // leave-one-out).
    double[] mean = new double[10], scale = new double[10];
    for (int j = 0; j < 10; j++) {
      double s = 0, ss = 0;
      for (double[] r : x) {
        s += r[j];
      }
      mean[j] = s / n;
      for (double[] r : x) {
        ss += (r[j] - mean[j]) * (r[j] - mean[j]);
      }
      double sd = Math.sqrt(ss / n);
      scale[j] = sd > 1e-12 * Math.max(1, Math.abs(mean[j])) ? sd : 1;
    }
    double[][] z = new double[n][11];
    for (int i = 0; i < n; i++) {
      z[i][0] = 1;
      for (int j = 0; j < 10; j++) {
        z[i][j + 1] = (x[i][j] - mean[j]) / scale[j];
      }
    }
    double bestRidge = Double.POSITIVE_INFINITY;
    double bestRidgeErr = Double.POSITIVE_INFINITY;
    double[] looPred = null;
    StringBuilder ridges = new StringBuilder();
    for (double lam : RIDGES) {
      double[] p = new double[n];
      double err = 0;
      for (int i = 0; i < n; i++) {
        boolean[] in = allBut(n, i);
        double[] ab = scales(best, y, in);
        double[] c = residual(best, ab, z, y, in, lam);
        p[i] = predict(best, ab, c, z, i);
        err += sq((p[i] - y[i]) / y[i]);
      }
      err /= n;
      ridges.append(
          String.format(
              Locale.ROOT,
              " %s %.5f;",
              Double.isFinite(lam) ? "ridge " + lam : "none",
              Math.sqrt(err)));
      if (err < bestRidgeErr) {
        bestRidgeErr = err;
        bestRidge = lam;
        looPred = p;
      }
    }
    boolean[] all = allBut(n, -1);
    double[] ab = scales(best, y, all);
    double[] c = residual(best, ab, z, y, all, bestRidge);
    TransferPredictor tp =
        new TransferPredictor(
            best.encoder(),
            best.decoder(),
            best.split(),
            ab,
            mean,
            scale,
            c,
            bestRidge,
            best.source().sha256());
    String selection =
        String.format(
            Locale.ROOT,
            "transfer from %d source(s) with %d rows of the new device;"
                + " leave-one-out RMS relative error of the scaled source models:%s chose %s; residual:%s chose %s",
            sources.size(),
            n,
            tried,
            best.label(),
            ridges,
            Double.isFinite(bestRidge) ? "ridge " + bestRidge : "none");
    double secs = (System.nanoTime() - t0) / 1e9;
    return new Result(
        tp, PredictorEval.eval(tp, rows), PredictorEval.metrics(looPred, y), selection, secs);
  }

  private static double sq(double v) {
    return v * v;
  }

  private static boolean[] allBut(int n, int out) {
    boolean[] in = new boolean[n];
    java.util.Arrays.fill(in, true);
    if (out >= 0) {
      in[out] = false;
    }
    return in;
  }

  /** Leave-one-out mean squared relative error of the source's models with per-part scales only. */
  private static double looScaleOnly(Base b, double[] y) {
    double err = 0;
    for (int i = 0; i < y.length; i++) {
      double[] ab = scales(b, y, allBut(y.length, i));
      err += sq((b.at(ab, i) - y[i]) / y[i]);
    }
    return err / y.length;
  }

  /** Per-part scales minimising squared relative error on the rows in {@code in}. */
  private static double[] scales(Base b, double[] y, boolean[] in) {
    int g = b.parts()[0].length;
    double[][] a = new double[g][g];
    double[] r = new double[g];
    for (int i = 0; i < y.length; i++) {
      if (!in[i]) {
        continue;
      }
      for (int p = 0; p < g; p++) {
        double u = b.parts()[i][p] / y[i];
        r[p] += u;
        for (int q = 0; q < g; q++) {
          a[p][q] += u * b.parts()[i][q] / y[i];
        }
      }
    }
    return solve(a, r);
  }

  /**
   * Ridge fit of the relative residual y / base - 1 on the standardised features (intercept
   * unpenalised).
   */
  private static double[] residual(
      Base b, double[] ab, double[][] z, double[] y, boolean[] in, double lam) {
    int d = z[0].length;
    double[] c = new double[d];
    if (!Double.isFinite(lam)) {
      return c;
    }
    double[][] a = new double[d][d];
    double[] r = new double[d];
    int n = 0;
    for (int i = 0; i < y.length; i++) {
      if (!in[i]) {
        continue;
      }
      n++;
      double t = y[i] / b.at(ab, i) - 1;
      for (int p = 0; p < d; p++) {
        r[p] += z[i][p] * t;
        for (int q = 0; q < d; q++) {
          a[p][q] += z[i][p] * z[i][q];
        }
      }
    }
    a[0][0] += 1e-9 * n;
    for (int p = 1; p < d; p++) {
      a[p][p] += lam;
    }
    return solve(a, r);
  }

  private static double predict(Base b, double[] ab, double[] c, double[][] z, int i) {
    double r = 0;
    for (int p = 0; p < c.length; p++) {
      r += c[p] * z[i][p];
    }
    return b.at(ab, i) * (1 + r);
  }

  /** Gaussian elimination with partial pivoting on a small dense system (at most 11 unknowns). */
  static double[] solve(double[][] a0, double[] b0) {
    int n = b0.length;
    double[][] a = new double[n][];
    for (int i = 0; i < n; i++) {
      a[i] = a0[i].clone();
    }
    double[] b = b0.clone();
    for (int k = 0; k < n; k++) {
      int p = k;
      for (int i = k + 1; i < n; i++) {
        if (Math.abs(a[i][k]) > Math.abs(a[p][k])) {
          p = i;
        }
      }
      double[] tr = a[k];
      a[k] = a[p];
      a[p] = tr;
      double tb = b[k];
      b[k] = b[p];
      b[p] = tb;
      if (Math.abs(a[k][k]) < 1e-300) {
        continue; // a column without information (e.g. all-zero part): its coefficient stays 0
      }
      for (int i = k + 1; i < n; i++) {
        double f = a[i][k] / a[k][k];
        for (int j = k; j < n; j++) {
          a[i][j] -= f * a[k][j];
        }
        b[i] -= f * b[k];
      }
    }
    double[] x = new double[n];
    for (int k = n - 1; k >= 0; k--) {
      if (Math.abs(a[k][k]) < 1e-300) {
        continue;
      }
      double s = b[k];
      for (int j = k + 1; j < n; j++) {
        s -= a[k][j] * x[j];
      }
      x[k] = s / a[k][k];
    }
    return x;
  }

  /**
   * Refuses a latency set that is not of {@code latencySpace} (the space configs are measured in:
   * the search space widened for latency): every row's embedding widths and layer counts must be
   * choices of the space and its per-layer averages within the range of the choices.
   *
   * @param what how the message names the set (its file and role)
   */
  public static void checkSpace(SearchSpace latencySpace, LatencyTable t, String what) {
    String[] genes = {
      SearchSpace.ENCODER_EMBED_DIM,
      SearchSpace.ENCODER_LAYER_NUM,
      SearchSpace.ENCODER_FFN_EMBED_DIM,
      SearchSpace.ENCODER_SELF_ATTENTION_HEADS,
      SearchSpace.DECODER_EMBED_DIM,
      SearchSpace.DECODER_LAYER_NUM,
      SearchSpace.DECODER_FFN_EMBED_DIM,
      SearchSpace.DECODER_SELF_ATTENTION_HEADS,
      SearchSpace.DECODER_ENDE_ATTENTION_HEADS,
      SearchSpace.DECODER_ARBITRARY_ENDE_ATTN
    };
    boolean[] exact = {true, true, false, false, true, true, false, false, false, false};
    for (int r = 0; r < t.size(); r++) {
      LatencyRow row = t.row(r);
      for (int j = 0; j < 10; j++) {
        List<Integer> ch = latencySpace.choices(genes[j]);
        List<Double> vals = new ArrayList<>();
        for (int c : ch) {
          // HAT's feature counts attended encoder layers: arbitrary choice -1 (last layer) = 1, k =
          // k + 1
          vals.add(j == 9 ? (c == -1 ? 1.0 : c + 1.0) : c);
        }
        double v = row.feature(j);
        double lo = vals.stream().mapToDouble(Double::doubleValue).min().orElseThrow();
        double hi = vals.stream().mapToDouble(Double::doubleValue).max().orElseThrow();
        boolean ok =
            exact[j]
                ? vals.stream().anyMatch(c -> Math.abs(c - v) < 1e-9)
                : v >= lo - 1e-9 && v <= hi + 1e-9;
        if (!ok) {
          throw new UserInputException(
              String.format(
                  Locale.ROOT,
                  "%s: line %d: %s is %s, outside search space '%s' (%s %s); a transfer source must be a latency set"
                      + " of the new device's search space",
                  what,
                  r + 2,
                  Features.NAMES.get(j),
                  fmt(v),
                  latencySpace.name(),
                  exact[j] ? "choices" : "range",
                  exact[j] ? ch.toString() : "[" + fmt(lo) + ", " + fmt(hi) + "]"));
        }
      }
    }
  }

  private static String fmt(double v) {
    return v == Math.rint(v) ? String.valueOf((long) v) : String.format(Locale.ROOT, "%.4g", v);
  }
}
