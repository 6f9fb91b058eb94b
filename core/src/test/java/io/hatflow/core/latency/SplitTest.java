package io.hatflow.core.latency;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SplitTest {
  @TempDir Path tmp;

  @Test
  void readsHatsSeed0Split() {
    Split s = Split.read(TestData.xeonSplit(), 2000);
    assertEquals(1600, s.train().length);
    assertEquals(200, s.valid().length);
    assertEquals(200, s.test().length);
    assertEquals(1748, s.train()[0]);
  }

  @Test
  void seededIsDeterministicDisjointAndComplete() {
    Split a = Split.seeded(2000, 1);
    assertEquals(a, Split.seeded(2000, 1));
    assertNotEquals(a, Split.seeded(2000, 2));
    assertEquals(1600, a.train().length);
    assertEquals(200, a.valid().length);
    assertEquals(200, a.test().length);
    int[] all =
        IntStream.concat(
                IntStream.concat(Arrays.stream(a.train()), Arrays.stream(a.valid())),
                Arrays.stream(a.test()))
            .sorted()
            .toArray();
    assertArrayEquals(IntStream.range(0, 2000).toArray(), all);
    a.validate(2000, "seeded");
  }

  @Test
  void outOfRangeIndexFails() {
    Split s = new Split("", new int[] {0, 1}, new int[] {2}, new int[] {5});
    LatencyCsvException e = assertThrows(LatencyCsvException.class, () -> s.validate(5, "s.json"));
    assertTrue(
        e.getMessage().contains("s.json")
            && e.getMessage().contains("'test'[0] = 5")
            && e.getMessage().contains("5 data rows"),
        e.getMessage());
  }

  @Test
  void overlapFails() {
    Split s = new Split("", new int[] {0, 1, 2}, new int[] {3}, new int[] {1});
    LatencyCsvException e = assertThrows(LatencyCsvException.class, () -> s.validate(5, "s.json"));
    assertTrue(e.getMessage().contains("row 1 is in 'train' and also in 'test'"), e.getMessage());
  }

  @Test
  void malformedJsonFiles() throws IOException {
    Path f = tmp.resolve("bad.json");
    Files.writeString(f, "{\"train\": [0, 1], \"valid\": [2], \"test\": \"3\"}");
    LatencyCsvException e = assertThrows(LatencyCsvException.class, () -> Split.read(f, 4));
    assertTrue(e.getMessage().contains("\"test\" must be an array"), e.getMessage());
    Files.writeString(f, "{\"train\": [0, 1.5], \"valid\": [2], \"test\": [3]}");
    assertThrows(LatencyCsvException.class, () -> Split.read(f, 4));
    Files.writeString(f, "{\"train\": [0, 1], ");
    assertThrows(LatencyCsvException.class, () -> Split.read(f, 4));
  }

  @Test
  void writeReadRoundTrip() {
    Split s = Split.seeded(50, 7);
    Path f = tmp.resolve("split.json");
    s.write(f);
    assertEquals(s, Split.read(f, 50));
  }
}
