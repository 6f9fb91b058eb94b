package io.hatflow.core.bleu;

import io.hatflow.core.run.UserInputException;
import java.util.Objects;

/**
 * How corpus BLEU is computed; mirrors sacreBLEU 2.x's {@code BLEU(...)} arguments.
 *
 * <p>Defaults ({@link #defaults()}): tokenize {@code 13a}, case-sensitive, {@code exp} smoothing,
 * no effective order, force off. These give sacreBLEU's default signature {@code
 * nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0}.
 *
 * @param tokenize tokenizer applied to hypotheses and references
 * @param lowercase lowercase both sides before tokenizing ({@code case:lc})
 * @param smooth smoothing method for n-gram orders without matches
 * @param smoothValue value for {@code floor} (default 0.1) and {@code add-k} (default 1); null =
 *     default
 * @param effectiveOrder stop at the highest order with any hypothesis n-grams (sentence-level use)
 * @param force only silences the "looks tokenized" warning, as in sacreBLEU
 */
public record BleuOptions(
    Tokenize tokenize,
    boolean lowercase,
    Smoothing smooth,
    Double smoothValue,
    boolean effectiveOrder,
    boolean force) {

  /** sacreBLEU's tokenizers that need no external model. */
  public enum Tokenize {
    THIRTEEN_A("13a"),
    INTL("intl"),
    CHAR("char"),
    NONE("none");

    private final String sacrebleuName;

    Tokenize(String sacrebleuName) {
      this.sacrebleuName = sacrebleuName;
    }

    /** The name sacreBLEU uses on its command line and in signatures. */
    public String sacrebleuName() {
      return sacrebleuName;
    }

    /**
     * Parses a sacreBLEU tokenizer name ({@code 13a}, {@code intl}, {@code char}, {@code none}).
     */
    public static Tokenize fromName(String name) {
      for (Tokenize t : values()) {
        if (t.sacrebleuName.equalsIgnoreCase(name)) {
          return t;
        }
      }
      throw new UserInputException(
          "unknown BLEU tokenizer '" + name + "': expected one of 13a, intl, char, none");
    }
  }

  /** sacreBLEU's smoothing methods (Chen and Cherry 2014 names in sacreBLEU's docs). */
  public enum Smoothing {
    EXP("exp", null),
    NONE("none", null),
    FLOOR("floor", 0.1),
    ADD_K("add-k", 1.0);

    private final String sacrebleuName;
    private final Double defaultValue;

    Smoothing(String sacrebleuName, Double defaultValue) {
      this.sacrebleuName = sacrebleuName;
      this.defaultValue = defaultValue;
    }

    public String sacrebleuName() {
      return sacrebleuName;
    }

    /** Null for methods that take no value. */
    public Double defaultValue() {
      return defaultValue;
    }

    /** Parses {@code exp}, {@code none}, {@code floor} or {@code add-k}. */
    public static Smoothing fromName(String name) {
      for (Smoothing s : values()) {
        if (s.sacrebleuName.equalsIgnoreCase(name)) {
          return s;
        }
      }
      throw new UserInputException(
          "unknown BLEU smoothing '" + name + "': expected one of exp, none, floor, add-k");
    }
  }

  public BleuOptions {
    Objects.requireNonNull(tokenize, "tokenize");
    Objects.requireNonNull(smooth, "smooth");
    if (smoothValue != null && !(smoothValue >= 0 && Double.isFinite(smoothValue))) {
      throw new UserInputException("BLEU smooth value must be finite and >= 0, got " + smoothValue);
    }
  }

  /** sacreBLEU's defaults: 13a, mixed case, exp smoothing. */
  public static BleuOptions defaults() {
    return new BleuOptions(Tokenize.THIRTEEN_A, false, Smoothing.EXP, null, false, false);
  }

  public BleuOptions withTokenize(Tokenize t) {
    return new BleuOptions(t, lowercase, smooth, smoothValue, effectiveOrder, force);
  }

  public BleuOptions withLowercase(boolean lc) {
    return new BleuOptions(tokenize, lc, smooth, smoothValue, effectiveOrder, force);
  }

  public BleuOptions withSmoothing(Smoothing s, Double value) {
    return new BleuOptions(tokenize, lowercase, s, value, effectiveOrder, force);
  }

  public BleuOptions withEffectiveOrder(boolean eff) {
    return new BleuOptions(tokenize, lowercase, smooth, smoothValue, eff, force);
  }

  public BleuOptions withForce(boolean f) {
    return new BleuOptions(tokenize, lowercase, smooth, smoothValue, effectiveOrder, f);
  }

  /** The smoothing value actually used: the given one, else the method's default (null if none). */
  public Double effectiveSmoothValue() {
    return smoothValue != null ? smoothValue : smooth.defaultValue();
  }

  /**
   * sacreBLEU's signature string for {@code nrefs} references ("var" when it varies per segment).
   */
  String signature(String nrefs) {
    String smoothStr = smooth.sacrebleuName();
    if (smooth.defaultValue() != null) {
      smoothStr += "[" + Bleu.fixed(effectiveSmoothValue(), 2) + "]";
    }
    return "nrefs:"
        + nrefs
        + "|case:"
        + (lowercase ? "lc" : "mixed")
        + "|eff:"
        + (effectiveOrder ? "yes" : "no")
        + "|tok:"
        + tokenize.sacrebleuName()
        + "|smooth:"
        + smoothStr
        + "|version:"
        + Bleu.SACREBLEU_VERSION;
  }
}
