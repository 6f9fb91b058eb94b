package io.hatflow.core.text;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits normalised text into BPE words and joins them back. A word is a maximal run of letters,
 * digits and combining marks, or a single other character. A word gets the marker {@value #MARKER}
 * in front when a space preceded it, and the first word always gets one (so sentence-initial words
 * share subwords with the rest). {@link #detokenize} inverts {@link #tokenize} exactly for any
 * output of {@link Normalizer#normalize}.
 */
public final class PreTokenizer {
  private PreTokenizer() {}

  /** U+2581 LOWER ONE EIGHTH BLOCK, as in SentencePiece. */
  public static final String MARKER = "\u2581";

  static final int MARKER_CP = 0x2581;

  public static List<String> tokenize(String normalized) {
    List<String> words = new ArrayList<>();
    StringBuilder cur = new StringBuilder();
    boolean spaceBefore = true; // the first word is marked
    boolean inWord = false;
    for (int i = 0; i < normalized.length(); ) {
      int cp = normalized.codePointAt(i);
      i += Character.charCount(cp);
      if (cp == ' ') {
        if (cur.length() > 0) {
          words.add(cur.toString());
          cur.setLength(0);
        }
        inWord = false;
        spaceBefore = true;
        continue;
      }
      boolean wordChar = isWordChar(cp);
      if (!(wordChar && inWord) && cur.length() > 0) {
        words.add(cur.toString());
        cur.setLength(0);
      }
      if (cur.length() == 0 && spaceBefore) {
        cur.append(MARKER);
      }
      cur.appendCodePoint(cp);
      spaceBefore = false;
      inWord = wordChar;
    }
    if (cur.length() > 0) {
      words.add(cur.toString());
    }
    return words;
  }

  /** Joins concatenated subword strings back into normalised text. */
  public static String detokenize(CharSequence concatenated) {
    String s = concatenated.toString().replace(MARKER, " ");
    return s.startsWith(" ") ? s.substring(1) : s;
  }

  static boolean isWordChar(int cp) {
    if (Character.isLetterOrDigit(cp)) {
      return true;
    }
    int t = Character.getType(cp);
    return t == Character.NON_SPACING_MARK
        || t == Character.COMBINING_SPACING_MARK
        || t == Character.ENCLOSING_MARK;
  }
}
