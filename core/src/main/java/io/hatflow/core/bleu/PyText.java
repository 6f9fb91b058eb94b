package io.hatflow.core.bleu;

import java.util.ArrayList;
import java.util.List;

/**
 * Python {@code str} whitespace semantics ({@code split()}, {@code rstrip()}), which sacreBLEU
 * relies on.
 */
final class PyText {
  private PyText() {}

  /**
   * Python's {@code str.isspace()} for one code point (Unicode White_Space minus a few, plus
   * U+001C..U+001F).
   */
  static boolean isSpace(int c) {
    if (c <= 0x20) {
      return c == 0x20 || (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x1F);
    }
    if (c < 0x85) {
      return false;
    }
    return c == 0x85
        || c == 0xA0
        || c == 0x1680
        || (c >= 0x2000 && c <= 0x200A)
        || c == 0x2028
        || c == 0x2029
        || c == 0x202F
        || c == 0x205F
        || c == 0x3000;
  }

  /** {@code s.rstrip()}. All Python spaces are BMP chars, so a char-wise scan is exact. */
  static String rstrip(String s) {
    int end = s.length();
    while (end > 0 && isSpace(s.charAt(end - 1))) {
      end--;
    }
    return end == s.length() ? s : s.substring(0, end);
  }

  /** {@code s.split()}: maximal runs of non-space characters. */
  static String[] split(String s) {
    List<String> out = new ArrayList<>();
    int n = s.length();
    int i = 0;
    while (i < n) {
      while (i < n && isSpace(s.charAt(i))) {
        i++;
      }
      int start = i;
      while (i < n && !isSpace(s.charAt(i))) {
        i++;
      }
      if (i > start) {
        out.add(s.substring(start, i));
      }
    }
    return out.toArray(new String[0]);
  }

  /**
   * Python's {@code str.lower()}: the simple per-code-point mapping, except U+0130 (two chars) and
   * U+03A3, which becomes final sigma by Python's context rule. Java's {@code toLowerCase} decides
   * final sigma differently after uncased letters (e.g. "ᘎΣ"), hence this port.
   */
  static String lower(String s) {
    int n = s.length();
    int i = 0;
    while (i < n && s.charAt(i) < 0x80) {
      i++;
    }
    if (i == n) {
      return s.toLowerCase(java.util.Locale.ROOT); // ASCII: identical and fast
    }
    StringBuilder out = new StringBuilder(n + 8);
    for (i = 0; i < n; ) {
      int cp = s.codePointAt(i);
      if (cp == 0x130) {
        out.append("i\u0307");
      } else if (cp == 0x3A3) {
        out.append(isFinalSigma(s, i) ? '\u03C2' : '\u03C3');
      } else {
        out.appendCodePoint(Character.toLowerCase(cp));
      }
      i += Character.charCount(cp);
    }
    return out.toString();
  }

  /**
   * CPython's handle_capital_sigma: cased, case-ignorable*, SIGMA, not (case-ignorable*, cased).
   */
  private static boolean isFinalSigma(String s, int i) {
    int j = i;
    int c = 0;
    boolean found = false;
    while (j > 0) {
      c = s.codePointBefore(j);
      j -= Character.charCount(c);
      if (!isCaseIgnorable(c)) {
        found = true;
        break;
      }
    }
    if (!found || !isCased(c)) {
      return false;
    }
    j = i + 1;
    while (j < s.length()) {
      c = s.codePointAt(j);
      if (!isCaseIgnorable(c)) {
        return !isCased(c);
      }
      j += Character.charCount(c);
    }
    return true;
  }

  private static boolean isCased(int c) {
    return Character.isLowerCase(c) || Character.isUpperCase(c) || Character.isTitleCase(c);
  }

  /**
   * Unicode Case_Ignorable: Mn, Me, Cf, Lm, Sk and Word_Break MidLetter, MidNumLet, Single_Quote.
   */
  private static boolean isCaseIgnorable(int c) {
    switch (Character.getType(c)) {
      case Character.NON_SPACING_MARK,
      Character.ENCLOSING_MARK,
      Character.FORMAT,
      Character.MODIFIER_LETTER,
      Character.MODIFIER_SYMBOL:
        return true;
      default:
        break;
    }
    return switch (c) {
      case 0x27,
          0x2E,
          0x3A,
          0xB7,
          0x387,
          0x55F,
          0x5F4,
          0x2018,
          0x2019,
          0x2024,
          0x2027,
          0xFE13,
          0xFE52,
          0xFE55,
          0xFF07,
          0xFF0E,
          0xFF1A ->
          true;
      default -> false;
    };
  }
}
