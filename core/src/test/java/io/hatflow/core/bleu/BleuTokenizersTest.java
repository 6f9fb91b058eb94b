package io.hatflow.core.bleu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.hatflow.core.bleu.BleuOptions.Tokenize;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Expected strings follow sacreBLEU 2.6.0's regex rules applied by hand (see comments). */
class BleuTokenizersTest {

  private static String t13a(String s) {
    return BleuTokenizers.tokenize(Tokenize.THIRTEEN_A, s);
  }

  private static String intl(String s) {
    return BleuTokenizers.tokenize(Tokenize.INTL, s);
  }

  @Test
  void thirteenAPunctuation() {
    // '!' is in rule 1's class; ',' and '.' are split by rules 2/3 when not between digits.
    assertEquals("Hello , world !", t13a("Hello, world!"));
    // ( ) [ ] { } $ @ % / : are padded by rule 1.
    assertEquals("( a ) [ b ] { c } $ 5 @ x 50 % a / b", t13a("(a) [b] {c} $5 @x 50% a/b"));
    assertEquals("time : 10 : 30", t13a("time: 10:30"));
    // The apostrophe (0x27) is not in rule 1's class ' '-'&' or '('-'+': it stays inside the word.
    assertEquals("don't", t13a("don't"));
    // "a.,b": rule 2 consumes "a." (so "," is not split by it), rule 3 then splits ". " and ",b".
    assertEquals("a . , b", t13a("a.,b"));
  }

  @Test
  void thirteenANumbers() {
    // Comma and period between digits stay; the sentence-final period is split by rule 3 thanks to
    // the ' {line} ' padding ('.' followed by ' ').
    assertEquals("It costs 1,000.5 dollars .", t13a("It costs 1,000.5 dollars."));
    assertEquals("pi is 3.14 .", t13a("pi is 3.14."));
    // A period after a non-digit is split by rule 2 even when a digit follows.
    assertEquals("a . 5 b", t13a("a .5 b"));
  }

  @Test
  void thirteenAHyphens() {
    // A dash is split only after a digit (rule 4); word-internal hyphens stay.
    assertEquals("well-known 5 - 6 year-old", t13a("well-known 5-6 year-old"));
    assertEquals("1990 - s", t13a("1990-s")); // rule 4 pads both sides: "\\1 \\2 "
  }

  @Test
  void thirteenAEntitiesSkippedAndNewlines() {
    // &quot; -> '"', &amp; -> '&' (both then padded by rule 1); &lt; &gt; -> < >.
    assertEquals("He said \" hi \" & left", t13a("He said &quot;hi&quot; &amp; left"));
    assertEquals("< b >", t13a("&lt;b&gt;"));
    // &amp;quot; unescapes once only, to the literal "&quot;" (replacements run in sacreBLEU's
    // order).
    assertEquals("& quot ;", t13a("&amp;quot;"));
    assertEquals("a b", t13a("a <skipped> b"));
    assertEquals("linebreak a b", t13a("line-\nbreak a\nb"));
  }

  @Test
  void thirteenAFastPathMatchesTheRegexes() {
    // The hand-written scans must equal sacreBLEU's four re.sub calls on arbitrary input.
    String[] alphabet = {
      "a",
      "Z",
      "0",
      "7",
      ".",
      ",",
      "-",
      " ",
      "\n",
      "&quot;",
      "&amp;",
      "<skipped>",
      "'",
      "\"",
      "(",
      "/",
      ":",
      "@",
      "[",
      "`",
      "{",
      "~",
      "!",
      "&",
      "\u00e9",
      "\uD83D\uDE00",
      "\u00a0",
      "\u3000",
      "\t",
      "\u2013"
    };
    Random rnd = new Random(42);
    for (int i = 0; i < 20_000; i++) {
      StringBuilder sb = new StringBuilder();
      for (int k = rnd.nextInt(16); k > 0; k--) {
        sb.append(alphabet[rnd.nextInt(alphabet.length)]);
      }
      String line = sb.toString();
      assertEquals(
          BleuTokenizers.tokenize13aRegex(line), t13a(line), () -> "input: [" + line + "]");
    }
  }

  @Test
  void intlPunctuationAndSymbols() {
    assertEquals("Hello , world !", intl("Hello, world!"));
    // Separators between digits stay, like 13a.
    assertEquals("1,000.5", intl("1,000.5"));
    // mteval-v14 quirk kept by sacreBLEU: no ' {line} ' padding, so a final period after a digit
    // stays.
    assertEquals("It is 2020.", intl("It is 2020."));
    assertEquals("It is 2020 .", t13a("It is 2020."));
    // The apostrophe is Unicode punctuation (Po): split, unlike 13a.
    assertEquals("don ' t", intl("don't"));
    // « (Pi) and » (Pf) are punctuation; '-' (Pd) after a letter is split.
    assertEquals("« Bonjour » , dit - il .", intl("«Bonjour», dit-il."));
    // Symbols (Sc, Sm) are padded; '²' is a number (No), not a symbol.
    assertEquals("5 € + 3 $ = x²", intl("5€ + 3$ = x²"));
    // CJK full-width punctuation (Po).
    assertEquals("你好 ， 世界 。", intl("你好，世界。"));
  }

  @Test
  void charAndNoneTokenizers() {
    // char: every non-space code point is a token; a surrogate pair stays one token.
    assertArrayEquals(
        new String[] {"a", "b", "\uD83D\uDE00", "c"},
        BleuTokenizers.tokens(Tokenize.CHAR, "ab \uD83D\uDE00c "));
    // none: Python str.split(): NBSP and ideographic space are whitespace, zero-width space is not.
    assertArrayEquals(
        new String[] {"a", "b", "c\u200bd"},
        BleuTokenizers.tokens(Tokenize.NONE, " a\u00a0b\u3000c\u200bd "));
  }

  @Test
  void pythonWhitespace() {
    assertEquals("abc", PyText.rstrip("abc \t\r\n\u00a0\u2028"));
    assertEquals("abc\u200b", PyText.rstrip("abc\u200b"));
    assertArrayEquals(new String[] {"x", "y"}, PyText.split("\u001cx\u0085y\u001f"));
  }

  @Test
  void lowercaseFollowsPythonStrLower() {
    // Expected strings are CPython 3's str.lower() outputs (final sigma by context, dotted I -> i +
    // U+0307).
    assertEquals(
        "\u03bf\u03b4\u03bf\u03c2 \u03bf\u03b4\u03bf\u03c2.",
        PyText.lower("\u039f\u0394\u039f\u03a3 \u039f\u0394\u039f\u03a3."));
    assertEquals("\u03c3\u03b1\u03c2", PyText.lower("\u03a3\u0391\u03a3"));
    assertEquals("\u03c3", PyText.lower("\u03a3"));
    assertEquals("a\u03c3'\u03c2", PyText.lower("A\u03a3'\u03a3"));
    // After an uncased letter (Canadian syllabics) Python keeps a plain sigma; Java's toLowerCase
    // would not.
    assertEquals("\u13fc\u160e\u03c3", PyText.lower("\u13fc\u160e\u03a3"));
    assertEquals("i\u0307stanbul", PyText.lower("\u0130stanbul"));
    assertEquals("\u03b1\u03c3\u0301\u03b2", PyText.lower("\u0391\u03a3\u0301\u0392"));
    assertEquals("\u03b1\u03c2\u0301", PyText.lower("\u0391\u03a3\u0301"));
    assertEquals("hello, world", PyText.lower("HeLLo, World"));
  }
}
