package io.hatflow.pipelines.publish;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.cloud.WriteChannel;
import com.google.cloud.storage.Blob;
import com.google.cloud.storage.BlobId;
import com.google.cloud.storage.BlobInfo;
import com.google.cloud.storage.Storage;
import com.google.cloud.storage.contrib.nio.testing.LocalStorageHelper;
import io.hatflow.core.run.RunDir;
import io.hatflow.pipelines.publish.Publisher.PublishConflictException;
import io.hatflow.pipelines.publish.Publisher.PublishFailedException;
import io.hatflow.pipelines.publish.Publisher.PublishReport;
import io.hatflow.pipelines.publish.Publisher.Verify;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Publishing against the in-memory GCS fake ({@link LocalStorageHelper}); never the network. */
class PublisherTest {
  static final String BUCKET = "hatflow-test";
  static final String DEST = "gs://" + BUCKET + "/nightly/2026-11-25/";

  @TempDir Path tmp;

  Path run;
  Storage fake;

  /** Object names passed to writer(), in order. */
  final List<String> writes = new ArrayList<>();

  @BeforeEach
  void setUp() throws Exception {
    fake = LocalStorageHelper.getOptions().getService(); // also resets the shared in-memory store
    run = tmp.resolve("run");
    write("spec.yaml", "version: 1\nname: t\n");
    write("prepare/shard-00000-of-00002.avro", "avro bytes 0");
    write("prepare/shard-00001-of-00002.avro", "avro bytes 1 and some more");
    write("search/winners.csv", "target,budget_ms,config\nxeon,100,{}\n");
    write("report/index.html", "<html></html>");
    write(".lock", "pid 1");
    write("search/.winners.csv.tmp-123", "half written");
    write(".staging/x.bin", "hidden folder");
    write("manifest.json", "{\"hatflow_manifest\":1,\"stages\":{},\"finished\":true}");
  }

  void write(String rel, String text) throws Exception {
    Path p = run.resolve(rel);
    Files.createDirectories(p.getParent());
    Files.writeString(p, text);
  }

  byte[] object(String rel) {
    return fake.readAllBytes(BlobId.of(BUCKET, "nightly/2026-11-25/" + rel));
  }

  Blob blob(String rel) {
    return fake.get(BlobId.of(BUCKET, "nightly/2026-11-25/" + rel));
  }

  static final List<String> PUBLISHED =
      List.of(
          "prepare/shard-00000-of-00002.avro",
          "prepare/shard-00001-of-00002.avro",
          "report/index.html",
          "search/winners.csv",
          "spec.yaml",
          "manifest.json");

  @Test
  void freshPublishUploadsEveryFileWithTheManifestLastAndChecksumsSet() throws Exception {
    PublishReport r = new Publisher(recording(fake)).publish(run, DEST);

    assertEquals(6, r.uploaded());
    assertEquals(0, r.skipped());
    long bytes = 0;
    for (String rel : PUBLISHED) {
      bytes += Files.size(run.resolve(rel));
      assertArrayEquals(Files.readAllBytes(run.resolve(rel)), object(rel), rel);
      Checksums local = Checksums.of(run.resolve(rel));
      assertEquals(local.crc32c(), blob(rel).getCrc32c(), rel);
      assertEquals(local.md5(), blob(rel).getMd5(), rel);
    }
    assertEquals(bytes, r.bytes());
    assertEquals(PUBLISHED.stream().map(s -> "nightly/2026-11-25/" + s).toList(), writes);
    assertNull(blob(".lock"));
    assertNull(blob("search/.winners.csv.tmp-123"));
    assertNull(blob(".staging/x.bin"));
    assertEquals("application/json", blob("manifest.json").getContentType());
    assertEquals(
        "{\"uploaded\":6,\"skipped\":0,\"bytes\":"
            + bytes
            + ",\"destination\":\"gs://hatflow-test/nightly/2026-11-25\"}",
        r.toJson());
  }

  @Test
  void reRunUploadsNothingAndAnInterruptedPublishIsCompleted() {
    new Publisher(fake).publish(run, DEST);
    PublishReport again = new Publisher(recording(fake)).publish(run, DEST);
    assertEquals(new PublishReport("gs://hatflow-test/nightly/2026-11-25", 0, 6, 0), again);
    assertTrue(writes.isEmpty());

    // As if the previous publish died after one shard: the manifest and a report file are missing.
    fake.delete(BlobId.of(BUCKET, "nightly/2026-11-25/manifest.json"));
    fake.delete(BlobId.of(BUCKET, "nightly/2026-11-25/report/index.html"));
    PublishReport completed = new Publisher(recording(fake)).publish(run, DEST);
    assertEquals(2, completed.uploaded());
    assertEquals(4, completed.skipped());
    assertEquals(
        List.of("nightly/2026-11-25/report/index.html", "nightly/2026-11-25/manifest.json"),
        writes);
  }

  @Test
  void existingObjectWithOtherContentIsAnErrorAndUntouched() {
    byte[] theirs = "someone else's winners\n".getBytes(StandardCharsets.UTF_8);
    fake.create(
        BlobInfo.newBuilder(BUCKET, "nightly/2026-11-25/search/winners.csv").build(), theirs);

    PublishConflictException e =
        assertThrows(
            PublishConflictException.class,
            () -> new Publisher(recording(fake)).publish(run, DEST));
    assertTrue(
        e.getMessage().contains("gs://hatflow-test/nightly/2026-11-25/search/winners.csv"),
        e.getMessage());
    assertTrue(e.getMessage().contains("never overwritten"), e.getMessage());
    assertArrayEquals(theirs, object("search/winners.csv"));
    assertTrue(writes.isEmpty(), "nothing uploaded: " + writes);
    assertNull(blob("manifest.json"));
  }

  @Test
  void existingObjectWithTheSameContentCountsAsPublished() throws Exception {
    // Put there by someone else and without checksums: compared by downloading it.
    fake.create(
        BlobInfo.newBuilder(BUCKET, "nightly/2026-11-25/spec.yaml").build(),
        Files.readAllBytes(run.resolve("spec.yaml")));
    PublishReport r = new Publisher(fake).publish(run, DEST);
    assertEquals(5, r.uploaded());
    assertEquals(1, r.skipped());
  }

  @Test
  void refusesARunDirWithoutAFinishedManifest() throws Exception {
    Files.delete(run.resolve("manifest.json"));
    IllegalArgumentException none =
        assertThrows(IllegalArgumentException.class, () -> new Publisher(fake).publish(run, DEST));
    assertTrue(none.getMessage().contains("no manifest.json"), none.getMessage());

    write("manifest.json", "{\"hatflow_manifest\":1,\"stages\":{},\"finished\":false}");
    IllegalArgumentException unfinished =
        assertThrows(IllegalArgumentException.class, () -> new Publisher(fake).publish(run, DEST));
    assertTrue(unfinished.getMessage().contains("\"finished\": false"), unfinished.getMessage());

    write("manifest.json", "{\"hatflow_manifest\":1,\"stages\":{}}");
    IllegalArgumentException missing =
        assertThrows(IllegalArgumentException.class, () -> new Publisher(fake).publish(run, DEST));
    assertTrue(missing.getMessage().contains("no \"finished\" entry"), missing.getMessage());

    assertThrows(
        IllegalArgumentException.class,
        () -> new Publisher(fake).publish(tmp.resolve("nope"), DEST));
    assertFalse(Files.exists(tmp.resolve("nope")));
    assertTrue(fake.list(BUCKET).streamAll().findAny().isEmpty());
  }

  @Test
  void refusesBadDestinationsAndALockedRun() {
    assertThrows(
        IllegalArgumentException.class, () -> new Publisher(fake).publish(run, "s3://b/p"));
    assertThrows(
        IllegalArgumentException.class,
        () -> new Publisher(fake).publish(run, "gs://Bad_Bucket/p"));
    try (RunDir busy = RunDir.lock(run)) {
      assertThrows(RunDir.LockedException.class, () -> new Publisher(fake).publish(run, DEST));
    }
    assertEquals(new GcsUri("b-1", ""), GcsUri.parse("gs://b-1/"));
    assertEquals("p/q/x.csv", GcsUri.parse("gs://b-1/p/q/").objectName("x.csv"));
  }

  @Test
  void corruptedUploadIsDetectedRemovedAndTheManifestHeldBack() {
    // The fake neither computes nor checks checksums (it stores the CRC32C we send), so the
    // corruption is
    // only visible by downloading the object: Verify.DOWNLOAD.
    PublishFailedException e =
        assertThrows(
            PublishFailedException.class,
            () ->
                new Publisher(corrupting(fake, "report/index.html"), Verify.DOWNLOAD)
                    .publish(run, DEST));
    assertTrue(
        e.getMessage()
            .contains("gs://hatflow-test/nightly/2026-11-25/report/index.html: checksum mismatch"),
        e.getMessage());
    assertTrue(e.getMessage().contains("manifest.json: not uploaded"), e.getMessage());
    assertNull(blob("report/index.html"), "the corrupt object is removed");
    assertNull(blob("manifest.json"), "no manifest while the run is incomplete");
    assertNotNull(blob("search/winners.csv"));

    PublishReport fixed = new Publisher(fake, Verify.DOWNLOAD).publish(run, DEST);
    assertEquals(2, fixed.uploaded());
    assertEquals(4, fixed.skipped());
  }

  @Test
  void checksumsUseGcsEncoding() {
    // Standard check values for "123456789": CRC32C 0xE3069283, MD5
    // 25f9e794323b453885f5181f1b624d0b.
    Checksums c = Checksums.of("123456789".getBytes(StandardCharsets.US_ASCII));
    assertEquals("4waSgw==", c.crc32c());
    assertEquals("JfnnlDI7RTiF9RgfG2JNCw==", c.md5());
    assertEquals(9, c.bytes());
  }

  /** The storage, recording the object names written. */
  Storage recording(Storage s) {
    return corrupting(s, null);
  }

  /**
   * The storage, recording writes and flipping the first byte of every chunk written to {@code
   * corruptRel}.
   */
  Storage corrupting(Storage s, String corruptRel) {
    return (Storage)
        Proxy.newProxyInstance(
            Storage.class.getClassLoader(),
            new Class<?>[] {Storage.class},
            (proxy, m, args) -> {
              try {
                Object out = m.invoke(s, args);
                if (m.getName().equals("writer")
                    && args.length > 0
                    && args[0] instanceof BlobInfo bi) {
                  writes.add(bi.getName());
                  if (corruptRel != null && bi.getName().endsWith("/" + corruptRel)) {
                    return flipping((WriteChannel) out);
                  }
                }
                return out;
              } catch (InvocationTargetException ite) {
                throw ite.getCause();
              }
            });
  }

  static WriteChannel flipping(WriteChannel w) {
    return (WriteChannel)
        Proxy.newProxyInstance(
            WriteChannel.class.getClassLoader(),
            new Class<?>[] {WriteChannel.class},
            (proxy, m, args) -> {
              try {
                if (m.getName().equals("write")
                    && args.length == 1
                    && args[0] instanceof ByteBuffer src) {
                  byte[] copy = new byte[src.remaining()];
                  src.get(copy);
                  if (copy.length > 0) {
                    copy[0] ^= 0x01;
                  }
                  ByteBuffer bad = ByteBuffer.wrap(copy);
                  while (bad.hasRemaining()) {
                    w.write(bad);
                  }
                  return copy.length;
                }
                return m.invoke(w, args);
              } catch (InvocationTargetException ite) {
                throw ite.getCause();
              }
            });
  }
}
