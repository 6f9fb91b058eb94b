package io.hatflow.core.bleu;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * sacreBLEU 2.6.0's tokenizers ({@code tokenizer_13a.py}, {@code tokenizer_re.py}, {@code
 * tokenizer_intl.py}, {@code tokenizer_char.py}, {@code tokenizer_none.py}). Each returns the
 * tokens that sacreBLEU's {@code line.split()} would see after its tokenizer ran.
 */
public final class BleuTokenizers {
  private BleuTokenizers() {}

  /** Tokens of an already lowercased/rstripped segment, as sacreBLEU's BLEU sees them. */
  public static String[] tokens(BleuOptions.Tokenize kind, String line) {
    return switch (kind) {
      case THIRTEEN_A -> PyText.split(tokenize13a(line));
      case INTL -> PyText.split(tokenizeIntl(line));
      case CHAR -> charTokens(line);
      case NONE -> PyText.split(line);
    };
  }

  /** The tokenized string sacreBLEU's tokenizer returns (tokens joined by single spaces). */
  public static String tokenize(BleuOptions.Tokenize kind, String line) {
    return String.join(" ", tokens(kind, line));
  }

  /**
   * mteval-v13a: language-independent clean-up, then {@code TokenizerRegexp}'s four rules. The
   * rules are applied as hand-written scans (fixed-length, left-to-right, non-overlapping like
   * {@code re.sub}); {@link #tokenize13aRegex} is the literal regex version the tests compare
   * against.
   */
  static String tokenize13a(String line) {
    line = clean13a(line);
    int n = line.length();
    // Rule 1: pad every character of [{-~[-` -&(-+:-@/] with spaces; also the ' {line} ' wrapping.
    char[] a = new char[3 * n + 2];
    int m = 0;
    a[m++] = ' ';
    for (int i = 0; i < n; i++) {
      char c = line.charAt(i);
      if (isPunct13a(c)) {
        a[m++] = ' ';
        a[m++] = c;
        a[m++] = ' ';
      } else {
        a[m++] = c;
      }
    }
    a[m++] = ' ';
    // Each later rule turns 2 chars into at most 4, so 2m bounds every output.
    char[] b = new char[2 * m];
    int mb = 0;
    // Rule 2: ([^0-9])([\.,]) -> '\1 \2 '
    for (int i = 0; i < m; ) {
      char c = a[i];
      if (i + 1 < m && !isDigit(c) && isDotComma(a[i + 1])) {
        b[mb++] = c;
        b[mb++] = ' ';
        b[mb++] = a[i + 1];
        b[mb++] = ' ';
        i += 2;
      } else {
        b[mb++] = c;
        i++;
      }
    }
    // Rule 3: ([\.,])([^0-9]) -> ' \1 \2'
    char[] d = new char[2 * mb];
    int md = 0;
    for (int i = 0; i < mb; ) {
      char c = b[i];
      if (i + 1 < mb && isDotComma(c) && !isDigit(b[i + 1])) {
        d[md++] = ' ';
        d[md++] = c;
        d[md++] = ' ';
        d[md++] = b[i + 1];
        i += 2;
      } else {
        d[md++] = c;
        i++;
      }
    }
    // Rule 4: ([0-9])(-) -> '\1 \2 '
    char[] e = b.length >= 2 * md ? b : new char[2 * md];
    int me = 0;
    for (int i = 0; i < md; ) {
      char c = d[i];
      if (i + 1 < md && isDigit(c) && d[i + 1] == '-') {
        e[me++] = c;
        e[me++] = ' ';
        e[me++] = '-';
        e[me++] = ' ';
        i += 2;
      } else {
        e[me++] = c;
        i++;
      }
    }
    return new String(e, 0, me);
  }

  private static final Pattern[] RE_13A = {
    Pattern.compile("([\\{-\\~\\[-\\` -\\&\\(-\\+\\:-\\@\\/])"),
    Pattern.compile("([^0-9])([\\.,])"),
    Pattern.compile("([\\.,])([^0-9])"),
    Pattern.compile("([0-9])(-)"),
  };
  private static final String[] RE_13A_REPL = {" $1 ", "$1 $2 ", " $1 $2", "$1 $2 "};

  /**
   * Literal port of sacreBLEU's regexes (slower); kept as the reference for {@link #tokenize13a}.
   */
  static String tokenize13aRegex(String line) {
    String s = " " + clean13a(line) + " ";
    for (int i = 0; i < RE_13A.length; i++) {
      s = RE_13A[i].matcher(s).replaceAll(RE_13A_REPL[i]);
    }
    return String.join(" ", PyText.split(s));
  }

  private static String clean13a(String line) {
    line = line.replace("<skipped>", "");
    line = line.replace("-\n", "");
    line = line.replace("\n", " ");
    if (line.indexOf('&') >= 0) {
      line = line.replace("&quot;", "\"");
      line = line.replace("&amp;", "&");
      line = line.replace("&lt;", "<");
      line = line.replace("&gt;", ">");
    }
    return line;
  }

  private static boolean isPunct13a(char c) {
    return (c >= '{' && c <= '~')
        || (c >= '[' && c <= '`')
        || (c >= ' ' && c <= '&')
        || (c >= '(' && c <= '+')
        || (c >= ':' && c <= '@')
        || c == '/';
  }

  private static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
  }

  private static boolean isDotComma(char c) {
    return c == '.' || c == ',';
  }

  // mteval-v14 international tokenization; Java's \p{..} are Unicode general categories like the
  // Python `regex` module's (Unicode versions differ: JDK 17 has Unicode 13).
  private static final Pattern INTL_PUNCT_AFTER_NON_DIGIT = Pattern.compile("(\\P{N})(\\p{P})");
  private static final Pattern INTL_PUNCT_BEFORE_NON_DIGIT = Pattern.compile("(\\p{P})(\\P{N})");
  private static final Pattern INTL_SYMBOL = Pattern.compile("(\\p{S})");

  static String tokenizeIntl(String line) {
    line = INTL_PUNCT_AFTER_NON_DIGIT.matcher(line).replaceAll("$1 $2 ");
    line = INTL_PUNCT_BEFORE_NON_DIGIT.matcher(line).replaceAll(" $1 $2");
    return INTL_SYMBOL.matcher(line).replaceAll(" $1 ");
  }

  /** {@code " ".join(line)} then split: every non-space code point is a token. */
  private static String[] charTokens(String line) {
    List<String> out = new ArrayList<>(line.length());
    for (int i = 0; i < line.length(); ) {
      int cp = line.codePointAt(i);
      int len = Character.charCount(cp);
      if (!PyText.isSpace(cp)) {
        out.add(line.substring(i, i + len));
      }
      i += len;
    }
    return out.toArray(new String[0]);
  }
}
