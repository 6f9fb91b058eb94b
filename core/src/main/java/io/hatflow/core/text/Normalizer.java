package io.hatflow.core.text;

/**
 * Text normalisation applied before pre-tokenisation: Unicode NFC, control characters removed,
 * every run of whitespace (including no-break and other Unicode spaces) collapsed to one ASCII
 * space, trimmed. The BPE word marker {@value PreTokenizer#MARKER} is mapped to '_' so that
 * decoding is unambiguous.
 */
public final class Normalizer {
  private Normalizer() {}

  public static String normalize(String text) {
    String nfc = java.text.Normalizer.normalize(text, java.text.Normalizer.Form.NFC);
    StringBuilder out = new StringBuilder(nfc.length());
    boolean pendingSpace = false;
    for (int i = 0; i < nfc.length(); ) {
      int cp = nfc.codePointAt(i);
      i += Character.charCount(cp);
      if (isSpace(cp)) {
        pendingSpace = true;
      } else if (Character.getType(cp) == Character.CONTROL) {
        // dropped, but not a word break: a stray control char inside a word should not split it
      } else {
        if (pendingSpace && out.length() > 0) {
          out.append(' ');
        }
        pendingSpace = false;
        out.appendCodePoint(cp == PreTokenizer.MARKER_CP ? '_' : cp);
      }
    }
    return out.toString();
  }

  static boolean isSpace(int cp) {
    return Character.isWhitespace(cp) || Character.isSpaceChar(cp);
  }
}
