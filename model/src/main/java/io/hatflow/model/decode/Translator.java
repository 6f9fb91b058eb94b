package io.hatflow.model.decode;

import ai.djl.ndarray.NDManager;
import io.hatflow.core.run.UserInputException;
import io.hatflow.core.text.SubwordVocabulary;
import io.hatflow.model.extract.SubTransformerModel;
import io.hatflow.model.transformer.Threads;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Translates normalised source sentences with an extracted SubTransformer directory and a
 * vocabulary: encode, search ({@link SequenceGenerator}), decode to text. One instance per thread;
 * close it.
 */
public final class Translator implements AutoCloseable {
  private final NDManager manager;
  private final SubTransformerModel.Loaded loaded;
  private final SubwordVocabulary vocab;
  private final SequenceGenerator generator;
  private final int threads;

  public Translator(Path modelDir, SubwordVocabulary vocab, DecodeConfig dc, int threads) {
    this.manager = NDManager.newBaseManager();
    this.loaded = SubTransformerModel.load(modelDir, manager);
    if (loaded.model().vocabSize() != vocab.size()) {
      close();
      throw new UserInputException(
          "model "
              + modelDir
              + " has vocabulary size "
              + loaded.model().vocabSize()
              + " but the vocabulary has "
              + vocab.size()
              + " ids");
    }
    this.vocab = vocab;
    this.generator = new SequenceGenerator(loaded.model(), loaded.config(), dc);
    this.threads = threads;
  }

  public List<String> translate(List<String> normalizedSources) {
    Threads.useIntraOp(threads);
    List<int[]> src = new ArrayList<>();
    for (String s : normalizedSources) {
      src.add(vocab.encode(s));
    }
    List<String> out = new ArrayList<>();
    for (int[] ids : generator.generate(src)) {
      out.add(vocab.decode(ids));
    }
    return out;
  }

  @Override
  public void close() {
    loaded.close();
    manager.close();
  }
}
