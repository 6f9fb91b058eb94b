package io.hatflow.core.latency;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hatflow.core.run.UserInputException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * A train/valid/test split of a latency dataset as 0-based data-row indices (row 0 = first line
 * after the header). JSON form: {@code {"note": "...", "train": [..], "valid": [..], "test":
 * [..]}}.
 */
public record Split(String note, int[] train, int[] valid, int[] test) {

  private static final ObjectMapper JSON = new ObjectMapper();

  public Split {
    note = note == null ? "" : note;
    train = train.clone();
    valid = valid.clone();
    test = test.clone();
  }

  @Override
  public int[] train() {
    return train.clone();
  }

  @Override
  public int[] valid() {
    return valid.clone();
  }

  @Override
  public int[] test() {
    return test.clone();
  }

  public int size() {
    return train.length + valid.length + test.length;
  }

  /**
   * HAT's 80/10/10 split by a seeded shuffle: {@code java.util.Random(seed)} shuffles 0..n-1, the
   * first floor(0.8n) are train, the next floor(0.1n) valid, the rest test (HAT's
   * latency_predictor.py proportions).
   */
  public static Split seeded(int n, long seed) {
    if (n < 3) {
      throw new UserInputException("need at least 3 rows to split, got " + n);
    }
    List<Integer> idx = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      idx.add(i);
    }
    Collections.shuffle(idx, new Random(seed));
    int nTrain = (int) Math.floor(0.8 * n);
    int nValid = Math.max(1, (int) Math.floor(0.1 * n));
    int[] all = idx.stream().mapToInt(Integer::intValue).toArray();
    return new Split(
        "seeded 80/10/10 split of " + n + " rows, java.util.Random(" + seed + ") shuffle",
        Arrays.copyOfRange(all, 0, nTrain),
        Arrays.copyOfRange(all, nTrain, nTrain + nValid),
        Arrays.copyOfRange(all, nTrain + nValid, n));
  }

  /**
   * Checks that every index is in [0, rows) and that no row is in two places (within or across
   * parts).
   *
   * @param what names the split in messages (its file)
   */
  public Split validate(int rows, String what) {
    int[] seen = new int[rows];
    String[] names = {"train", "valid", "test"};
    int[][] parts = {train, valid, test};
    for (int p = 0; p < 3; p++) {
      if (parts[p].length == 0) {
        throw new LatencyCsvException(what + ": '" + names[p] + "' is empty");
      }
      for (int k = 0; k < parts[p].length; k++) {
        int i = parts[p][k];
        if (i < 0 || i >= rows) {
          throw new LatencyCsvException(
              String.format(
                  "%s: '%s'[%d] = %d is out of range: the dataset has %d data rows (valid indices 0..%d)",
                  what, names[p], k, i, rows, rows - 1));
        }
        if (seen[i] != 0) {
          throw new LatencyCsvException(
              String.format(
                  "%s: row %d is in '%s' and also in '%s'", what, i, names[seen[i] - 1], names[p]));
        }
        seen[i] = p + 1;
      }
    }
    return this;
  }

  /** Reads a split and validates it against a dataset of {@code rows} data rows. */
  public static Split read(Path file, int rows) {
    JsonNode root;
    try {
      root = JSON.readTree(Files.readString(file, StandardCharsets.UTF_8));
    } catch (JsonProcessingException e) {
      throw new LatencyCsvException(
          file
              + ": not valid JSON: "
              + e.getOriginalMessage()
              + (e.getLocation() == null ? "" : " at line " + e.getLocation().getLineNr()),
          e);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read split " + file + ": " + e.getMessage(), e);
    }
    if (root == null || !root.isObject()) {
      throw new LatencyCsvException(
          file + ": expected a JSON object with \"train\", \"valid\", \"test\"");
    }
    String note = root.hasNonNull("note") ? root.get("note").asText() : "";
    return new Split(
            note,
            indices(file, root, "train"),
            indices(file, root, "valid"),
            indices(file, root, "test"))
        .validate(rows, file.toString());
  }

  private static int[] indices(Path file, JsonNode root, String key) {
    JsonNode a = root.get(key);
    if (a == null || !a.isArray()) {
      throw new LatencyCsvException(file + ": \"" + key + "\" must be an array of row indices");
    }
    int[] out = new int[a.size()];
    for (int k = 0; k < out.length; k++) {
      JsonNode v = a.get(k);
      if (!v.canConvertToInt() || !v.isIntegralNumber()) {
        throw new LatencyCsvException(
            file + ": \"" + key + "\"[" + k + "] is not an integer: " + v);
      }
      out[k] = v.intValue();
    }
    return out;
  }

  public String toJson() {
    ObjectNode o = JSON.createObjectNode();
    o.put("note", note);
    ArrayNode tr = o.putArray("train");
    Arrays.stream(train).forEach(tr::add);
    ArrayNode va = o.putArray("valid");
    Arrays.stream(valid).forEach(va::add);
    ArrayNode te = o.putArray("test");
    Arrays.stream(test).forEach(te::add);
    return o.toString();
  }

  /** Writes the split as JSON, atomically. */
  public void write(Path file) {
    Path dir = file.toAbsolutePath().getParent();
    try {
      Files.createDirectories(dir);
      Path tmp = Files.createTempFile(dir, "." + file.getFileName(), ".tmp");
      try {
        Files.writeString(tmp, toJson() + "\n", StandardCharsets.UTF_8);
        LatencyCsv.moveAtomically(tmp, file);
      } finally {
        Files.deleteIfExists(tmp);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write split " + file + ": " + e.getMessage(), e);
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Split s
        && note.equals(s.note)
        && Arrays.equals(train, s.train)
        && Arrays.equals(valid, s.valid)
        && Arrays.equals(test, s.test);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(train) * 31 + Arrays.hashCode(valid) * 17 + Arrays.hashCode(test);
  }
}
