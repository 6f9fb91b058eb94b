package io.hatflow.model.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hatflow.core.run.Digests;
import io.hatflow.core.text.Normalizer;
import io.hatflow.core.text.SpecialTokens;
import io.hatflow.core.text.SubwordVocabulary;
import io.hatflow.core.text.Vocabulary;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VocabularyFilesTest {
  static final String TEXT =
      Normalizer.normalize("Ein Mann in einem blauen Hemd steht auf einer Leiter.");

  static Vocabulary bpe() {
    Map<String, Long> counts = new HashMap<>();
    Vocabulary.countWords(TEXT, counts);
    return Vocabulary.learn(counts, 40);
  }

  static VocabularyFiles roundTrip(VocabularyFiles f) throws Exception {
    ByteArrayOutputStream bos = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(bos)) {
      out.writeObject(f);
    }
    try (ObjectInputStream in =
        new ObjectInputStream(new ByteArrayInputStream(bos.toByteArray()))) {
      return (VocabularyFiles) in.readObject();
    }
  }

  @Test
  void bpeDirectoryLoadsAsOurVocabulary(@TempDir Path dir) throws Exception {
    Vocabulary v = bpe();
    v.save(dir);
    assertTrue(VocabularyFiles.isVocabularyDir(dir));
    VocabularyFiles f = VocabularyFiles.read(dir);
    assertEquals(VocabularyFiles.Kind.BPE, f.kind());
    assertEquals(v.size(), f.size());
    assertEquals(v.digest(), f.digest());
    assertEquals(
        List.of(Vocabulary.VOCAB_FILE, Vocabulary.MERGES_FILE), List.copyOf(f.files().keySet()));
    assertEquals(f, roundTrip(f));
    try (SubwordVocabulary loaded = VocabularyFiles.load(dir)) {
      assertEquals(v, loaded);
      assertEquals(TEXT, loaded.decode(loaded.encode(TEXT)));
    }
  }

  @Test
  void sentencePieceDirectoryLoadsTheModelAfterSerialisation(@TempDir Path dir) throws Exception {
    List<String> chars =
        TEXT.codePoints()
            .filter(c -> c != ' ')
            .distinct()
            .sorted()
            .mapToObj(Character::toString)
            .toList();
    byte[] model = SentencePieceModels.charModel(chars);
    Files.write(dir.resolve(VocabularyFiles.SENTENCEPIECE_FILE), model);
    // a BPE vocab.txt beside it does not win: the model is what prepare copied
    bpe().save(dir);
    VocabularyFiles f = VocabularyFiles.read(dir);
    assertEquals(VocabularyFiles.Kind.SENTENCEPIECE, f.kind());
    assertEquals(4 + chars.size() + SpecialTokens.COUNT, f.size());
    assertEquals(Digests.sha256(model), f.digest());
    assertArrayEquals(model, f.files().get(VocabularyFiles.SENTENCEPIECE_FILE));
    VocabularyFiles back = roundTrip(f);
    assertEquals(f, back);
    assertNotEquals(f, VocabularyFiles.of(bpe()));
    try (SubwordVocabulary v = back.open()) {
      assertInstanceOf(SentencePieceVocabulary.class, v);
      assertEquals(f.size(), v.size());
      int[] ids = v.encode(TEXT);
      assertEquals(TEXT.length() + 1, ids.length, "one piece per character, one boundary per word");
      assertEquals(TEXT, v.decode(ids));
    }
  }

  @Test
  void neitherKindIsRefusedNamingTheFile(@TempDir Path dir) throws Exception {
    assertFalse(VocabularyFiles.isVocabularyDir(dir));
    IllegalArgumentException none =
        assertThrows(IllegalArgumentException.class, () -> VocabularyFiles.read(dir));
    assertTrue(
        none.getMessage().contains(dir.resolve(Vocabulary.VOCAB_FILE).toString()),
        none.getMessage());
    Path bad = dir.resolve(VocabularyFiles.SENTENCEPIECE_FILE);
    Files.writeString(bad, "this is not a SentencePiece model\n");
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> VocabularyFiles.read(dir));
    assertEquals(bad + ": not a SentencePiece model (protobuf wire type 4)", e.getMessage());
  }
}
