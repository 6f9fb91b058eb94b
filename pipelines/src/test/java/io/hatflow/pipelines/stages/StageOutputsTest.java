package io.hatflow.pipelines.stages;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hatflow.core.search.HatJson;
import io.hatflow.core.space.SearchSpace;
import io.hatflow.core.space.SubConfig;
import io.hatflow.schemas.Evaluation;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.avro.file.DataFileWriter;
import org.apache.avro.specific.SpecificDatumWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The typed stage outputs read what their stages write, without the reader knowing the stage's
 * folders.
 */
class StageOutputsTest {
  @TempDir Path run;

  static void writeEvaluations(Path file, List<Evaluation> evals) throws Exception {
    Files.createDirectories(file.getParent());
    try (DataFileWriter<Evaluation> w =
        new DataFileWriter<>(new SpecificDatumWriter<>(Evaluation.class))) {
      w.create(Evaluation.getClassSchema(), file.toFile());
      for (Evaluation e : evals) {
        w.append(e);
      }
    }
  }

  static Evaluation eval(int generation, SubConfig c, double fitness) {
    return new Evaluation(
        generation, c.key(), HatJson.write(c), fitness, false, Map.of("cpu", 1.0));
  }

  @Test
  void theSearchsEvaluationsAreEveryGenerationsConfigsFirstSightingKept() throws Exception {
    SearchSpace tiny = SearchSpace.preset("tiny");
    SubConfig small = tiny.smallest().active();
    SubConfig large = tiny.largest().active();
    // As SearchPipeline lays out its state: search/state/<course digest>/gen-NNNN/evaluations.avro
    Path state = run.resolve("search/state/abc123");
    writeEvaluations(state.resolve("gen-0000/evaluations.avro"), List.of(eval(0, small, 8.0)));
    writeEvaluations(
        state.resolve("gen-0001/evaluations.avro"),
        List.of(eval(1, small, 7.0), eval(1, large, 6.0)));
    Files.createDirectories(state.resolve("gen-0002"));
    Files.writeString(state.resolve("gen-0002/evaluations.avro"), "not avro");

    List<String> unreadable = new ArrayList<>();
    Map<String, Evaluation> got = SearchStage.Outputs.at(run).evaluations(unreadable);
    assertEquals(
        List.of(large.key(), small.key()), List.copyOf(got.keySet()).stream().sorted().toList());
    assertEquals(8.0, got.get(small.key()).getFitness(), "first sighting (generation 0) kept");
    assertEquals(1, unreadable.size(), unreadable.toString());
    assertTrue(unreadable.get(0).contains("gen-0002"), unreadable.get(0));
    assertEquals(Map.of(), SearchStage.Outputs.at(run.resolve("none")).evaluations(unreadable));
  }

  @Test
  void auditIsToldOfTheSearchsOwnFoldersByTheSearch() {
    var owned = SearchStage.Outputs.owned();
    assertEquals(List.of("search/state/"), owned.workFolders());
    assertEquals("search/eval-store/", owned.sealedStores().get(0).folder());
    assertEquals(SearchStage.NAME, owned.sealedStores().get(0).stage());
  }

  @Test
  void aTargetsFullestLatencyRecordIsItsAvroElseItsImportedCsv() throws Exception {
    LatencyStage.Outputs lat = LatencyStage.Outputs.at(run);
    Files.createDirectories(lat.dir());
    for (Path f : List.of(lat.csv("cpu"), lat.avro("cpu"), lat.csv("gpu"))) {
      Files.writeString(f, "x");
    }
    assertEquals(List.of(lat.avro("cpu"), lat.csv("gpu")), lat.fullestRecords(null));
    assertEquals(List.of(lat.csv("gpu")), lat.fullestRecords("gpu"));
  }
}
