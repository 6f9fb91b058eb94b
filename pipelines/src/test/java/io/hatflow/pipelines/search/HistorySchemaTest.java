package io.hatflow.pipelines.search;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.hatflow.pipelines.io.AvroFiles;
import io.hatflow.schemas.GenerationStats;
import java.nio.file.Path;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.file.DataFileWriter;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HistorySchemaTest {
  /** GenerationStats as history.avro files were written before the hypervolume field. */
  static final String OLD =
      """
      {"type": "record", "name": "GenerationStats", "namespace": "io.hatflow.schemas", "fields": [
        {"name": "generation", "type": "int"}, {"name": "target", "type": "string"},
        {"name": "budgetMs", "type": "double"}, {"name": "candidates", "type": "int"},
        {"name": "feasible", "type": "int"}, {"name": "bestFitness", "type": "double"},
        {"name": "meanFitness", "type": "double"}, {"name": "bestConfigKey", "type": "string"},
        {"name": "bestPredictedMs", "type": "double"}, {"name": "nextPopulation", "type": "int"},
        {"name": "warnings", "type": {"type": "array", "items": "string"}}]}""";

  @TempDir Path tmp;

  @Test
  void historyWrittenBeforeTheHypervolumeFieldStillReads() throws Exception {
    Schema old = new Schema.Parser().parse(OLD);
    GenericRecord r = new GenericData.Record(old);
    r.put("generation", 3);
    r.put("target", "cpu");
    r.put("budgetMs", 150.0);
    r.put("candidates", 125);
    r.put("feasible", 120);
    r.put("bestFitness", 4.5);
    r.put("meanFitness", 5.0);
    r.put("bestConfigKey", "k");
    r.put("bestPredictedMs", 140.0);
    r.put("nextPopulation", 125);
    r.put("warnings", List.of("w"));
    Path f = tmp.resolve("history.avro");
    try (DataFileWriter<GenericRecord> w =
        new DataFileWriter<>(new GenericDatumWriter<GenericRecord>(old))) {
      w.create(old, f.toFile());
      w.append(r);
    }
    List<GenerationStats> back = AvroFiles.read(f, GenerationStats.class);
    assertEquals(1, back.size());
    assertEquals(4.5, back.get(0).getBestFitness());
    assertEquals("cpu", back.get(0).getTarget());
    assertNull(back.get(0).getHypervolume());
  }
}
