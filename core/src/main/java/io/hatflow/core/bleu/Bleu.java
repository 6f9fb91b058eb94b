package io.hatflow.core.bleu;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import java.util.zip.GZIPInputStream;

/**
 * Corpus BLEU reproducing sacreBLEU 2.6.0 ({@code sacrebleu/metrics/bleu.py}): same preprocessing
 * (lowercase, rstrip, tokenizer, Python whitespace split), clipped n-gram counts up to order 4,
 * closest reference length, brevity penalty and smoothing.
 */
public final class Bleu {
  /** The sacreBLEU release whose code this reproduces (signature's {@code version:}). */
  public static final String SACREBLEU_VERSION = "2.6.0";

  private static final System.Logger LOG = System.getLogger(Bleu.class.getName());

  private Bleu() {}

  /**
   * Corpus BLEU with one reference per hypothesis ({@code refs.get(i)} for {@code hyps.get(i)}).
   */
  public static BleuScore corpusBleu(List<String> hyps, List<String> refs, BleuOptions opts) {
    return corpusBleuMultiRef(hyps, List.of(refs), opts);
  }

  /**
   * Corpus BLEU against several reference streams, each parallel to {@code hyps} (sacreBLEU's
   * {@code corpus_score(hyps, [refs1, refs2, ...])}). A null entry means "no reference from this
   * stream for that segment" (sacreBLEU's variable references; the signature then says {@code
   * nrefs:var}).
   */
  public static BleuScore corpusBleuMultiRef(
      List<String> hyps, List<List<String>> refStreams, BleuOptions opts) {
    if (refStreams.isEmpty()) {
      throw new IllegalArgumentException("BLEU needs at least one reference stream");
    }
    for (int s = 0; s < refStreams.size(); s++) {
      if (refStreams.get(s).size() != hyps.size()) {
        throw new IllegalArgumentException(
            "BLEU: "
                + hyps.size()
                + " hypotheses but reference stream "
                + (s + 1)
                + " has "
                + refStreams.get(s).size()
                + " segments");
      }
    }
    int n = hyps.size();
    for (int i = 0; i < n; i++) {
      if (hyps.get(i) == null) {
        throw new IllegalArgumentException("BLEU: hypothesis " + (i + 1) + " is null");
      }
    }
    if (!opts.force()) {
      long tokenized = hyps.stream().filter(h -> h.endsWith(" .")).count();
      if (tokenized >= 100) {
        LOG.log(
            System.Logger.Level.WARNING,
            "That's "
                + tokenized
                + " lines that end in a tokenized period"
                + " ('.'): it looks like you forgot to detokenize your test data, which may hurt your score."
                + " Set force to silence this.");
      }
    }
    // nrefs: count of non-null references per segment, "var" if it changes.
    int[] nrefs = new int[n];
    for (int i = 0; i < n; i++) {
      for (List<String> stream : refStreams) {
        if (stream.get(i) != null) {
          nrefs[i]++;
        }
      }
      if (nrefs[i] == 0) {
        throw new IllegalArgumentException("BLEU: segment " + (i + 1) + " has no reference");
      }
    }
    String nrefsSig =
        n == 0
            ? String.valueOf(refStreams.size())
            : IntStream.of(nrefs).distinct().count() == 1 ? String.valueOf(nrefs[0]) : "var";

    long[] stats =
        IntStream.range(0, n)
            .parallel()
            .collect(
                () -> new long[SegmentStats.SIZE],
                (acc, i) -> {
                  String[][] refTokens = new String[nrefs[i]][];
                  int r = 0;
                  for (List<String> stream : refStreams) {
                    String ref = stream.get(i);
                    if (ref != null) {
                      refTokens[r++] = preprocess(ref, opts);
                    }
                  }
                  SegmentStats.accumulate(preprocess(hyps.get(i), opts), refTokens, acc);
                },
                (a, b) -> {
                  for (int k = 0; k < a.length; k++) {
                    a[k] += b[k];
                  }
                });
    return fromStats(stats, opts, nrefsSig);
  }

  /** sacreBLEU's {@code _preprocess_segment} followed by {@code line.split()}. */
  static String[] preprocess(String sent, BleuOptions opts) {
    if (opts.lowercase()) {
      sent = PyText.lower(sent);
    }
    return BleuTokenizers.tokens(opts.tokenize(), PyText.rstrip(sent));
  }

  /** sacreBLEU's {@code compute_bleu} on summed statistics. */
  static BleuScore fromStats(long[] stats, BleuOptions opts, String nrefs) {
    int order = SegmentStats.ORDER;
    long sysLen = stats[SegmentStats.HYP_LEN];
    long refLen = stats[SegmentStats.REF_LEN];
    long[] counts = new long[order];
    long[] totals = new long[order];
    System.arraycopy(stats, SegmentStats.CORRECT, counts, 0, order);
    System.arraycopy(stats, SegmentStats.TOTAL, totals, 0, order);
    String signature = opts.signature(nrefs);

    double bp = 1.0;
    if (sysLen < refLen) {
      bp = sysLen > 0 ? Math.exp(1 - (double) refLen / (double) sysLen) : 0.0;
    }
    double[] precisions = new double[order];
    boolean anyCorrect = false;
    for (long c : counts) {
      anyCorrect |= c != 0;
    }
    if (!anyCorrect) {
      return new BleuScore(0.0, precisions, bp, sysLen, refLen, counts, totals, signature);
    }

    BleuOptions.Smoothing smooth = opts.smooth();
    Double smoothValueBoxed = opts.effectiveSmoothValue();
    double smoothValue = smoothValueBoxed == null ? 0.0 : smoothValueBoxed;
    double smoothMteval = 1.0;
    int effOrder = order;
    for (int n = 1; n <= order; n++) {
      double correct = counts[n - 1];
      double total = totals[n - 1];
      if (smooth == BleuOptions.Smoothing.ADD_K && n > 1) {
        correct += smoothValue;
        total += smoothValue;
      }
      if (total == 0) {
        break;
      }
      if (opts.effectiveOrder()) {
        effOrder = n;
      }
      if (correct == 0) {
        if (smooth == BleuOptions.Smoothing.EXP) {
          smoothMteval *= 2;
          precisions[n - 1] = 100.0 / (smoothMteval * total);
        } else if (smooth == BleuOptions.Smoothing.FLOOR) {
          precisions[n - 1] = 100.0 * smoothValue / total;
        }
      } else {
        precisions[n - 1] = 100.0 * correct / total;
      }
    }
    double sumLog = 0.0;
    for (int n = 0; n < effOrder; n++) {
      sumLog += precisions[n] == 0.0 ? -9999999999.0 : Math.log(precisions[n]);
    }
    double score = bp * Math.exp(sumLog / effOrder);
    return new BleuScore(score, precisions, bp, sysLen, refLen, counts, totals, signature);
  }

  /** Corpus BLEU of a hypothesis file against one reference file (UTF-8, {@code .gz} allowed). */
  public static BleuScore scoreFiles(Path hyp, Path ref, BleuOptions opts) {
    return scoreFiles(hyp, List.of(ref), opts);
  }

  /** Corpus BLEU of a hypothesis file against several parallel reference files. */
  public static BleuScore scoreFiles(Path hyp, List<Path> refs, BleuOptions opts) {
    List<String> hypLines = readLines(hyp);
    List<List<String>> refStreams = new ArrayList<>();
    for (Path ref : refs) {
      List<String> refLines = readLines(ref);
      if (refLines.size() != hypLines.size()) {
        throw new BleuInputException(
            "BLEU line count mismatch: hypothesis file "
                + hyp
                + " has "
                + hypLines.size()
                + " lines but reference file "
                + ref
                + " has "
                + refLines.size()
                + " lines");
      }
      refStreams.add(refLines);
    }
    return corpusBleuMultiRef(hypLines, refStreams, opts);
  }

  /**
   * Lines of a UTF-8 text file (gzip-compressed if the name ends in {@code .gz}), split on {@code
   * \n} only like sacreBLEU's {@code open(..., newline="\n")}; a final line without {@code \n}
   * counts, a trailing {@code \n} adds no empty line. {@code \r} stays (BLEU preprocessing strips
   * it).
   *
   * @throws BleuInputException on invalid UTF-8, naming the file, line and byte column
   */
  public static List<String> readLines(Path file) {
    List<String> lines = new ArrayList<>();
    CharsetDecoder decoder =
        StandardCharsets.UTF_8
            .newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    try (InputStream raw = Files.newInputStream(file);
        InputStream in =
            file.getFileName().toString().endsWith(".gz")
                ? new GZIPInputStream(new BufferedInputStream(raw, 1 << 16), 1 << 16)
                : raw) {
      byte[] chunk = new byte[1 << 16];
      byte[] line = new byte[1024];
      int len = 0;
      int read;
      while ((read = in.read(chunk)) > 0) {
        for (int i = 0; i < read; i++) {
          byte b = chunk[i];
          if (b == '\n') {
            lines.add(decode(decoder, line, len, file, lines.size() + 1));
            len = 0;
          } else {
            if (len == line.length) {
              line = java.util.Arrays.copyOf(line, line.length * 2);
            }
            line[len++] = b;
          }
        }
      }
      if (len > 0) {
        lines.add(decode(decoder, line, len, file, lines.size() + 1));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
    }
    return lines;
  }

  private static String decode(
      CharsetDecoder decoder, byte[] bytes, int len, Path file, int lineNo) {
    boolean ascii = true;
    for (int i = 0; i < len && ascii; i++) {
      ascii = bytes[i] >= 0;
    }
    if (ascii) {
      return new String(bytes, 0, len, StandardCharsets.ISO_8859_1);
    }
    ByteBuffer in = ByteBuffer.wrap(bytes, 0, len);
    CharBuffer out = CharBuffer.allocate(len); // UTF-8 never decodes to more chars than bytes
    decoder.reset();
    CoderResult result = decoder.decode(in, out, true);
    if (!result.isError()) {
      result = decoder.flush(out);
    }
    if (result.isError()) {
      throw new BleuInputException(
          file
              + ": line "
              + lineNo
              + ": invalid UTF-8 at byte "
              + (in.position() + 1)
              + " of the line");
    }
    out.flip();
    return out.toString();
  }

  /**
   * Python's {@code f"{x:.Nf}"}: round half-even on the exact binary value (Java's %.Nf differs).
   */
  static String fixed(double x, int decimals) {
    if (!Double.isFinite(x)) {
      return Double.isNaN(x) ? "nan" : x > 0 ? "inf" : "-inf";
    }
    return new BigDecimal(x).setScale(decimals, RoundingMode.HALF_EVEN).toPlainString();
  }
}
