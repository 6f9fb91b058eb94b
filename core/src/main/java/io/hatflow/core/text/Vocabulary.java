package io.hatflow.core.text;

import io.hatflow.core.run.UserInputException;
import java.io.IOException;
import java.io.ObjectStreamException;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Our BPE vocabulary: reserved ids ({@link SpecialTokens}), then every character seen in training
 * (sorted), then the result of each merge in merge order. Every character seen in training has an
 * id, so text made of such characters always round-trips: {@code decode(encode(t)).equals(t)} for
 * normalised {@code t}. Unseen characters become {@link SpecialTokens#UNK}.
 *
 * <p>On disk: {@value #VOCAB_FILE} (one token per line, line number = id) and {@value #MERGES_FILE}
 * (one {@code left right} pair per line, in order). Tokens never contain whitespace (the normaliser
 * maps it to a single space, which the pre-tokeniser turns into {@link PreTokenizer#MARKER}).
 * Immutable and thread-safe; Java-serialisable (as its two files) so it can be a Beam side input.
 */
public final class Vocabulary implements SubwordVocabulary, Serializable {
  private static final long serialVersionUID = 1L;

  public static final String VOCAB_FILE = "vocab.txt";
  public static final String MERGES_FILE = "merges.txt";

  /** Words cached per vocabulary before the cache is cleared (bounded memory on huge corpora). */
  private static final int CACHE_LIMIT = 1 << 18;

  private final List<String> tokens;
  private final List<BpeLearner.Merge> merges;
  private final transient Map<String, Integer> ids;

  /** (leftId, rightId) to rank in the high 32 bits and merged id in the low 32 bits. */
  private final transient HashMap<Long, Long> mergeTable;

  private final transient ConcurrentHashMap<String, int[]> cache = new ConcurrentHashMap<>();
  private final transient String digest;

  private Vocabulary(List<String> tokens, List<BpeLearner.Merge> merges) {
    this.tokens = List.copyOf(tokens);
    this.merges = List.copyOf(merges);
    this.ids = new HashMap<>();
    for (int i = 0; i < this.tokens.size(); i++) {
      if (ids.putIfAbsent(this.tokens.get(i), i) != null) {
        throw new IllegalArgumentException(
            "duplicate token '" + this.tokens.get(i) + "' at id " + i);
      }
    }
    this.mergeTable = new HashMap<>();
    for (int r = 0; r < this.merges.size(); r++) {
      BpeLearner.Merge m = this.merges.get(r);
      Integer l = ids.get(m.left());
      Integer rt = ids.get(m.right());
      Integer j = ids.get(m.joined());
      if (l == null || rt == null || j == null) {
        throw new IllegalArgumentException(
            "merge "
                + (r + 1)
                + " '"
                + m.left()
                + " "
                + m.right()
                + "' uses or makes a token that is not in the vocabulary");
      }
      mergeTable.putIfAbsent(pairKey(l, rt), ((long) r << 32) | j);
    }
    this.digest = sha256(vocabBytes(), mergesBytes());
  }

  /** Builds the id table from a learned alphabet and merges. */
  public static Vocabulary of(BpeLearner.Result learned) {
    List<String> toks =
        new ArrayList<>(
            List.of(
                SpecialTokens.BOS_TOKEN,
                SpecialTokens.PAD_TOKEN,
                SpecialTokens.EOS_TOKEN,
                SpecialTokens.UNK_TOKEN));
    java.util.Set<String> seen = new java.util.HashSet<>(toks);
    for (String c : learned.alphabet()) {
      if (seen.add(c)) {
        toks.add(c);
      }
    }
    for (BpeLearner.Merge m : learned.merges()) {
      if (seen.add(m.joined())) {
        toks.add(m.joined());
      }
    }
    return new Vocabulary(toks, learned.merges());
  }

  /**
   * Learns a vocabulary of (at most, unless the alphabet alone is larger) {@code vocabSize} ids.
   */
  public static Vocabulary learn(Map<String, Long> wordCounts, int vocabSize) {
    return of(BpeLearner.learn(wordCounts, vocabSize));
  }

  /** Counts the pre-tokenised words of normalised text into {@code counts} (for {@link #learn}). */
  public static void countWords(String normalizedText, Map<String, Long> counts) {
    for (String w : PreTokenizer.tokenize(normalizedText)) {
      counts.merge(w, 1L, Long::sum);
    }
  }

  @Override
  public int[] encode(String normalizedText) {
    List<String> words = PreTokenizer.tokenize(normalizedText);
    int[][] parts = new int[words.size()][];
    int total = 0;
    for (int i = 0; i < parts.length; i++) {
      parts[i] = encodeWord(words.get(i));
      total += parts[i].length;
    }
    int[] out = new int[total];
    int at = 0;
    for (int[] p : parts) {
      System.arraycopy(p, 0, out, at, p.length);
      at += p.length;
    }
    return out;
  }

  /** Subword ids of one pre-tokenised word; cached, so callers must not modify the array. */
  int[] encodeWord(String word) {
    int[] hit = cache.get(word);
    if (hit != null) {
      return hit;
    }
    int[] s =
        word.codePoints()
            .map(cp -> ids.getOrDefault(new String(Character.toChars(cp)), SpecialTokens.UNK))
            .toArray();
    int n = s.length;
    while (n > 1) {
      long best = Long.MAX_VALUE;
      int at = -1;
      for (int i = 0; i + 1 < n; i++) {
        Long m = mergeTable.get(pairKey(s[i], s[i + 1]));
        if (m != null && m < best) {
          best = m;
          at = i;
        }
      }
      if (at < 0) {
        break;
      }
      int rankOfBest = (int) (best >>> 32);
      int merged = (int) best;
      int out = 0;
      for (int i = 0; i < n; ) {
        Long m = i + 1 < n ? mergeTable.get(pairKey(s[i], s[i + 1])) : null;
        if (m != null && (int) (m >>> 32) == rankOfBest) {
          s[out++] = merged;
          i += 2;
        } else {
          s[out++] = s[i++];
        }
      }
      n = out;
    }
    int[] result = n == s.length ? s : java.util.Arrays.copyOf(s, n);
    if (cache.size() >= CACHE_LIMIT) {
      cache.clear();
    }
    cache.put(word, result);
    return result;
  }

  @Override
  public String decode(int[] ids) {
    StringBuilder sb = new StringBuilder();
    for (int id : ids) {
      if (id >= SpecialTokens.COUNT && id < tokens.size()) {
        sb.append(tokens.get(id));
      }
    }
    return PreTokenizer.detokenize(sb);
  }

  @Override
  public int size() {
    return tokens.size();
  }

  @Override
  public String token(int id) {
    return tokens.get(id);
  }

  /** Id of a token string, or {@link SpecialTokens#UNK}. */
  public int id(String token) {
    return ids.getOrDefault(token, SpecialTokens.UNK);
  }

  public List<BpeLearner.Merge> merges() {
    return merges;
  }

  @Override
  public String digest() {
    return digest;
  }

  /** Content of {@value #VOCAB_FILE}. */
  public byte[] vocabBytes() {
    StringBuilder sb = new StringBuilder();
    for (String t : tokens) {
      sb.append(t).append('\n');
    }
    return sb.toString().getBytes(StandardCharsets.UTF_8);
  }

  /** Content of {@value #MERGES_FILE}. */
  public byte[] mergesBytes() {
    StringBuilder sb = new StringBuilder();
    for (BpeLearner.Merge m : merges) {
      sb.append(m.left()).append(' ').append(m.right()).append('\n');
    }
    return sb.toString().getBytes(StandardCharsets.UTF_8);
  }

  /**
   * Rebuilds a vocabulary from the contents of its two files; {@code where} names them in errors.
   */
  public static Vocabulary fromBytes(byte[] vocab, byte[] mergeLines, String where) {
    List<String> toks = lines(vocab);
    String[] reserved = {
      SpecialTokens.BOS_TOKEN,
      SpecialTokens.PAD_TOKEN,
      SpecialTokens.EOS_TOKEN,
      SpecialTokens.UNK_TOKEN
    };
    for (int i = 0; i < reserved.length; i++) {
      if (toks.size() <= i || !toks.get(i).equals(reserved[i])) {
        throw new UserInputException(
            where + "/" + VOCAB_FILE + " line " + (i + 1) + ": expected " + reserved[i]);
      }
    }
    List<BpeLearner.Merge> ms = new ArrayList<>();
    List<String> mlines = lines(mergeLines);
    for (int i = 0; i < mlines.size(); i++) {
      String[] lr = mlines.get(i).split(" ", -1);
      if (lr.length != 2 || lr[0].isEmpty() || lr[1].isEmpty()) {
        throw new UserInputException(
            where
                + "/"
                + MERGES_FILE
                + " line "
                + (i + 1)
                + ": expected 'left right', got '"
                + mlines.get(i)
                + "'");
      }
      ms.add(new BpeLearner.Merge(lr[0], lr[1]));
    }
    try {
      return new Vocabulary(toks, ms);
    } catch (IllegalArgumentException e) {
      throw new UserInputException(where + ": " + e.getMessage(), e);
    }
  }

  /**
   * Writes both files into {@code dir} (created if missing), each through a temp file and a rename.
   */
  public void save(Path dir) throws IOException {
    Files.createDirectories(dir);
    io.hatflow.core.run.AtomicFiles.write(dir.resolve(VOCAB_FILE), vocabBytes());
    io.hatflow.core.run.AtomicFiles.write(dir.resolve(MERGES_FILE), mergesBytes());
  }

  public static Vocabulary load(Path dir) throws IOException {
    Path v = dir.resolve(VOCAB_FILE);
    Path m = dir.resolve(MERGES_FILE);
    for (Path p : List.of(v, m)) {
      if (!Files.isRegularFile(p)) {
        throw new UserInputException("vocabulary file missing: " + p);
      }
    }
    return fromBytes(Files.readAllBytes(v), Files.readAllBytes(m), dir.toString());
  }

  private static List<String> lines(byte[] bytes) {
    String s = new String(bytes, StandardCharsets.UTF_8);
    List<String> out = new ArrayList<>(List.of(s.split("\n", -1)));
    if (!out.isEmpty() && out.get(out.size() - 1).isEmpty()) {
      out.remove(out.size() - 1);
    }
    return out;
  }

  /** SHA-256 over both files' names and contents, in a fixed order. */
  static String sha256(byte[] vocab, byte[] mergeLines) {
    MessageDigest md = io.hatflow.core.run.Digests.sha256();
    md.update((VOCAB_FILE + "\n").getBytes(StandardCharsets.UTF_8));
    md.update(vocab);
    md.update((MERGES_FILE + "\n").getBytes(StandardCharsets.UTF_8));
    md.update(mergeLines);
    return HexFormat.of().formatHex(md.digest());
  }

  private static long pairKey(int l, int r) {
    return ((long) l << 32) | (r & 0xffffffffL);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Vocabulary v && v.digest.equals(digest);
  }

  @Override
  public int hashCode() {
    return digest.hashCode();
  }

  @Override
  public String toString() {
    return "Vocabulary{size="
        + size()
        + ", merges="
        + merges.size()
        + ", digest="
        + digest.substring(0, 12)
        + "}";
  }

  private Object writeReplace() throws ObjectStreamException {
    return new Serialized(vocabBytes(), mergesBytes());
  }

  private void readObject(java.io.ObjectInputStream in) throws java.io.InvalidObjectException {
    throw new java.io.InvalidObjectException("serialized through Serialized");
  }

  /** Serialisation proxy: the two files. */
  private record Serialized(byte[] vocab, byte[] merges) implements Serializable {
    private Object readResolve() {
      return fromBytes(vocab, merges, "serialized vocabulary");
    }
  }
}
