package io.hatflow.transforms.prepare;

import io.hatflow.core.run.UserInputException;
import java.io.Serializable;

/**
 * Where one split's parallel text lives: two line-aligned files ({@code src}, {@code tgt}) or one
 * TSV file ({@code tsv}, {@code src<TAB>tgt} per line). Plain or {@code .gz}; local paths or {@code
 * gs://} (Beam FileSystems).
 */
public record CorpusFiles(String src, String tgt, String tsv) implements Serializable {
  public CorpusFiles {
    boolean pair = src != null && tgt != null;
    if (pair == (tsv != null) || (!pair && (src != null || tgt != null))) {
      throw new UserInputException(
          "a corpus is either src and tgt files or one tsv file; got src="
              + src
              + ", tgt="
              + tgt
              + ", tsv="
              + tsv);
    }
  }

  public static CorpusFiles of(String src, String tgt) {
    return new CorpusFiles(src, tgt, null);
  }

  public static CorpusFiles tsv(String tsv) {
    return new CorpusFiles(null, null, tsv);
  }

  public boolean isTsv() {
    return tsv != null;
  }

  @Override
  public String toString() {
    return isTsv() ? tsv : src + " + " + tgt;
  }
}
