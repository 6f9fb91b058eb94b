package io.hatflow.core.bleu;

import java.util.ArrayList;
import java.util.List;

/** Python {@code str} whitespace semantics ({@code split()}, {@code rstrip()}), which sacreBLEU relies on. */
final class PyText {
  private PyText() {}

  /** Python's {@code str.isspace()} for one code point (Unicode White_Space minus a few, plus U+001C..U+001F). */
  static boolean isSpace(int c) {
    if (c <= 0x20) {
      return c == 0x20 || (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x1F);
    }
    if (c < 0x85) {
      return false;
    }
    return c == 0x85 || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A)
        || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
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
}
