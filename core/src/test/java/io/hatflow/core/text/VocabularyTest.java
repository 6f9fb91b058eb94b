package io.hatflow.core.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VocabularyTest {
  private static final List<String> CORPUS =
      List.of(
          "Two young, White males are outside near many bushes.",
          "Zwei junge weiße Männer sind im Freien in der Nähe vieler Büsche.",
          "Several men in hard hats are operating a giant pulley system.",
          "Mehrere Männer mit Schutzhelmen bedienen ein Antriebsradsystem.",
          "A little girl climbing into a wooden playhouse.",
          "Ein kleines Mädchen klettert in ein Spielhaus aus Holz.",
          "A man in a blue shirt is standing on a ladder cleaning windows.",
          "Ein Mann in einem blauen Hemd steht auf einer Leiter und putzt Fenster.");

  static Vocabulary learned(int size) {
    Map<String, Long> counts = new HashMap<>();
    for (String s : CORPUS) {
      Vocabulary.countWords(Normalizer.normalize(s), counts);
    }
    return Vocabulary.learn(counts, size);
  }

  @Test
  void roundTripsAndCompresses() {
    Vocabulary v = learned(100);
    assertEquals(100, v.size());
    assertEquals(106, learned(10_000).size(), "stops when no pair occurs twice");
    for (String s : CORPUS) {
      String norm = Normalizer.normalize(s);
      int[] ids = v.encode(norm);
      assertEquals(norm, v.decode(ids));
      assertTrue(ids.length < norm.length(), "BPE should shorten " + norm);
    }
    // unseen words made of seen characters round-trip through character fallback
    String novel = "Männer, Büsche & Leitern?";
    int[] ids = v.encode(Normalizer.normalize("Weiße Bäume."));
    assertEquals("Weiße Bäume.", v.decode(ids));
    // an unseen character becomes <unk>, which decode skips
    int[] withUnk = v.encode("a & b");
    assertTrue(java.util.Arrays.stream(withUnk).anyMatch(i -> i == SpecialTokens.UNK), novel);
    assertEquals("a  b", v.decode(withUnk));
  }

  @Test
  void reservedIdsAndSpecialsSkippedInDecode() {
    Vocabulary v = learned(120);
    assertEquals("<s>", v.token(SpecialTokens.BOS));
    assertEquals("<pad>", v.token(SpecialTokens.PAD));
    assertEquals("</s>", v.token(SpecialTokens.EOS));
    assertEquals("<unk>", v.token(SpecialTokens.UNK));
    int[] ids = v.encode("Ein Mann.");
    int[] framed = new int[ids.length + 3];
    framed[0] = SpecialTokens.BOS;
    System.arraycopy(ids, 0, framed, 1, ids.length);
    framed[ids.length + 1] = SpecialTokens.EOS;
    framed[ids.length + 2] = SpecialTokens.PAD;
    assertEquals("Ein Mann.", v.decode(framed));
  }

  @Test
  void saveLoadKeepsIdsAndDigest(@TempDir Path dir) throws Exception {
    Vocabulary v = learned(90);
    v.save(dir.resolve("vocab"));
    try (var files = Files.list(dir.resolve("vocab"))) {
      assertEquals(
          List.of("merges.txt", "vocab.txt"),
          files.map(p -> p.getFileName().toString()).sorted().toList());
    }
    Vocabulary back = Vocabulary.load(dir.resolve("vocab"));
    assertEquals(v.digest(), back.digest());
    assertEquals(v.size(), back.size());
    for (String s : CORPUS) {
      assertArrayEquals(v.encode(s), back.encode(s));
    }
    assertEquals(64, v.digest().length());
    // the digest is the files' content: a different vocabulary has a different digest
    assertTrue(!learned(89).digest().equals(v.digest()));
  }

  @Test
  void deterministicAcrossRuns() {
    assertEquals(learned(95).digest(), learned(95).digest());
  }

  @Test
  void javaSerializationRoundTrips() throws Exception {
    Vocabulary v = learned(130);
    ByteArrayOutputStream bos = new ByteArrayOutputStream();
    try (ObjectOutputStream oos = new ObjectOutputStream(bos)) {
      oos.writeObject(v);
    }
    Vocabulary back;
    try (ObjectInputStream ois =
        new ObjectInputStream(new ByteArrayInputStream(bos.toByteArray()))) {
      back = (Vocabulary) ois.readObject();
    }
    assertEquals(v.digest(), back.digest());
    assertArrayEquals(v.encode(CORPUS.get(0)), back.encode(CORPUS.get(0)));
  }

  @Test
  void badFilesNameTheFileAndLine(@TempDir Path dir) throws Exception {
    IllegalArgumentException missing =
        assertThrows(IllegalArgumentException.class, () -> Vocabulary.load(dir));
    assertTrue(missing.getMessage().contains("vocab.txt"), missing.getMessage());
    Files.writeString(
        dir.resolve("vocab.txt"), "<s>\n<pad>\n</s>\n<unk>\na\nb\n", StandardCharsets.UTF_8);
    Files.writeString(dir.resolve("merges.txt"), "a b\nab\n", StandardCharsets.UTF_8);
    IllegalArgumentException bad =
        assertThrows(IllegalArgumentException.class, () -> Vocabulary.load(dir));
    assertTrue(bad.getMessage().contains("merges.txt line 2"), bad.getMessage());
  }
}
