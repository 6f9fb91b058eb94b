package io.hatflow.pipelines.publish;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.cloud.ReadChannel;
import com.google.cloud.WriteChannel;
import com.google.cloud.storage.Blob;
import com.google.cloud.storage.BlobId;
import com.google.cloud.storage.BlobInfo;
import com.google.cloud.storage.Storage;
import com.google.cloud.storage.Storage.BlobSourceOption;
import com.google.cloud.storage.Storage.BlobWriteOption;
import com.google.cloud.storage.StorageException;
import io.hatflow.core.run.Manifest;
import io.hatflow.core.run.RunDir;
import io.hatflow.core.run.UserInputException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * Publishes a finished run directory to {@code gs://BUCKET/PREFIX}, so that a reader who sees the
 * manifest sees the whole run:
 *
 * <ul>
 *   <li>every file under the run directory is uploaded except the {@code .lock} file and dot-files
 *       (temp files); {@code manifest.json} goes last, and only when everything else is there;
 *   <li>nothing is ever overwritten: uploads carry the {@code doesNotExist} generation
 *       precondition; an object already there with the same size and checksums counts as published
 *       (a re-run completes only what is missing); one with different content is an error naming
 *       it, raised before anything is uploaded;
 *   <li>each upload sends the local CRC32C and MD5 with {@code crc32cMatch}/{@code md5Match}, so
 *       GCS rejects a corrupted upload, and afterwards the object is checked again: by the
 *       checksums GCS reports ({@link Verify#METADATA}), or by downloading it and checksumming the
 *       bytes ({@link Verify#DOWNLOAD}). An object that GCS reports without a CRC32C (the in-memory
 *       {@code LocalStorageHelper} fake never computes one) is always checked by download. An
 *       upload that fails the check is deleted (its own generation only) so that a re-run uploads
 *       it again.
 * </ul>
 */
public final class Publisher {

  /** How an uploaded or pre-existing object's content is checked against the local file. */
  public enum Verify {
    /**
     * Compare with the size, CRC32C and MD5 that GCS reports (computed by GCS on upload). Default.
     */
    METADATA,
    /** Download the object and checksum its bytes (doubles the traffic). */
    DOWNLOAD
  }

  /**
   * What a publish did: objects uploaded, objects already there with the same content, bytes
   * uploaded.
   */
  public record PublishReport(String destination, int uploaded, int skipped, long bytes) {
    /** One JSON object: {@code {"uploaded":..,"skipped":..,"bytes":..,"destination":".."}}. */
    public String toJson() {
      ObjectNode o = Manifest.json().createObjectNode();
      o.put("uploaded", uploaded)
          .put("skipped", skipped)
          .put("bytes", bytes)
          .put("destination", destination);
      return o.toString();
    }
  }

  /**
   * The destination already holds different content under a name we would write: bad input, exit 2.
   */
  public static final class PublishConflictException extends UserInputException {
    public PublishConflictException(String msg) {
      super(msg);
    }
  }

  /**
   * An upload failed (network, permissions, checksum mismatch): the publish is incomplete, exit 1.
   */
  public static final class PublishFailedException extends RuntimeException
      implements io.hatflow.core.run.ExpectedFailure {
    public PublishFailedException(String msg) {
      super(msg);
    }
  }

  private static final int CHUNK = 1 << 20;

  private final Storage storage;
  private final Verify verify;

  public Publisher(Storage storage) {
    this(storage, Verify.METADATA);
  }

  public Publisher(Storage storage, Verify verify) {
    this.storage = storage;
    this.verify = verify;
  }

  /**
   * Publishes {@code runDir} under {@code gsUri} ({@code gs://BUCKET/PREFIX}); see the class
   * comment.
   */
  public PublishReport publish(Path runDir, String gsUri) {
    GcsUri dest = GcsUri.parse(gsUri);
    requireFinished(runDir);
    // The lock keeps a run from writing the directory while we read it.
    try (RunDir locked = RunDir.lock(runDir)) {
      requireFinished(runDir);
      List<String> files = files(runDir);

      List<Item> toUpload = new ArrayList<>();
      List<String> conflicts = new ArrayList<>();
      int skipped = 0;
      for (String rel : files) {
        Item it =
            new Item(rel, runDir.resolve(rel), BlobId.of(dest.bucket(), dest.objectName(rel)));
        it.local = Checksums.of(it.file);
        Blob existing = storage.get(it.blob);
        if (existing == null) {
          toUpload.add(it);
        } else if (same(remote(existing), it.local)) {
          skipped++;
        } else {
          conflicts.add(describeConflict(dest, it, existing));
        }
      }
      if (!conflicts.isEmpty()) {
        throw new PublishConflictException(
            "cannot publish "
                + runDir
                + " to "
                + dest
                + ": "
                + conflicts.size()
                + " object(s) already exist with different content and are never overwritten (nothing was uploaded; "
                + "publish to another prefix):\n  "
                + String.join("\n  ", conflicts));
      }

      int uploaded = 0;
      long bytes = 0;
      List<String> failed = new ArrayList<>();
      for (Item it : toUpload) {
        boolean isManifest = it.rel.equals(Manifest.FILE);
        if (isManifest && !failed.isEmpty()) {
          failed.add(
              dest.uri(it.blob.getName()) + ": not uploaded, because the files above failed");
          break;
        }
        try {
          if (upload(it)) {
            uploaded++;
            bytes += it.local.bytes();
          } else {
            skipped++;
          }
        } catch (RuntimeException e) {
          failed.add(dest.uri(it.blob.getName()) + ": " + message(e));
        }
      }
      if (!failed.isEmpty()) {
        throw new PublishFailedException(
            "publish of "
                + runDir
                + " to "
                + dest
                + " is incomplete ("
                + uploaded
                + " uploaded, "
                + skipped
                + " already there, "
                + failed.size()
                + " failed; run it again to complete, "
                + "objects already published are kept):\n  "
                + String.join("\n  ", failed));
      }
      return new PublishReport(dest.toString(), uploaded, skipped, bytes);
    }
  }

  /**
   * Refuses a directory that is not a finished run: no manifest, or a manifest without {@code
   * "finished": true} (a run still going, or one that failed, would be published half-done).
   */
  public static void requireFinished(Path runDir) {
    if (!Files.isDirectory(runDir)) {
      throw new UserInputException(runDir + ": no such run directory");
    }
    Path mf = runDir.resolve(Manifest.FILE);
    if (!Files.isRegularFile(mf)) {
      throw new UserInputException(
          runDir
              + ": no "
              + Manifest.FILE
              + ", so this is not a hatflow run "
              + "directory (or its run never started); only finished runs are published");
    }
    Boolean fin;
    try {
      fin = Manifest.parse(Files.readAllBytes(mf), mf.toString()).finished();
    } catch (IOException e) {
      throw new UserInputException(mf + ": unreadable manifest: " + e.getMessage(), e);
    }
    if (fin == null) {
      throw new UserInputException(
          mf
              + ": has no \"finished\" entry, so the run has not finished (still "
              + "running, failed or stopped); finish it with `hatflow run` before publishing");
    }
    if (!fin) {
      throw new UserInputException(
          mf
              + ": says \"finished\": false, so the run has not finished (still "
              + "running, failed or stopped); finish it with `hatflow run` before publishing");
    }
  }

  /**
   * The files to publish, as slash-separated paths relative to the run directory, sorted, with the
   * manifest last. Skips {@code .lock} and anything whose name (or a parent folder's name) starts
   * with '.'.
   */
  public static List<String> files(Path runDir) {
    List<String> out = new ArrayList<>();
    try (Stream<Path> s = Files.walk(runDir)) {
      for (Path p : (Iterable<Path>) s.sorted()::iterator) {
        if (!Files.isRegularFile(p)) {
          continue;
        }
        Path rel = runDir.relativize(p);
        boolean hidden = false;
        for (Path part : rel) {
          hidden |= part.toString().startsWith(".");
        }
        if (!hidden) {
          out.add(rel.toString().replace('\\', '/'));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + runDir, e);
    }
    if (out.remove(Manifest.FILE)) {
      out.add(Manifest.FILE);
    }
    return out;
  }

  private static final class Item {
    final String rel;
    final Path file;
    final BlobId blob;
    Checksums local;

    Item(String rel, Path file, BlobId blob) {
      this.rel = rel;
      this.file = file;
      this.blob = blob;
    }
  }

  /** Uploads one file; false when an identical object appeared meanwhile. Throws on any failure. */
  private boolean upload(Item it) {
    BlobInfo info =
        BlobInfo.newBuilder(it.blob)
            .setContentType(contentType(it.rel))
            .setCrc32c(it.local.crc32c())
            .setMd5(it.local.md5())
            .build();
    Checksums sent;
    try (WriteChannel w =
            storage.writer(
                info,
                BlobWriteOption.doesNotExist(),
                BlobWriteOption.crc32cMatch(),
                BlobWriteOption.md5Match());
        InputStream in = Files.newInputStream(it.file)) {
      w.setChunkSize(16 * CHUNK);
      Checksums.Builder b = new Checksums.Builder();
      byte[] buf = new byte[CHUNK];
      for (int r; (r = in.read(buf)) > 0; ) {
        b.update(buf, 0, r);
        ByteBuffer bb = ByteBuffer.wrap(buf, 0, r);
        while (bb.hasRemaining()) {
          w.write(bb);
        }
      }
      sent = b.build();
    } catch (StorageException e) {
      if (preconditionFailed(e)) {
        // Someone else wrote it since we looked: fine if it is the same content, never overwritten
        // either way.
        Blob now = storage.get(it.blob);
        if (now != null && same(remote(now), it.local)) {
          return false;
        }
        throw new PublishConflictException(
            "appeared during the publish with different content; not overwritten");
      }
      throw e;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + it.file, e);
    }
    Blob done = storage.get(it.blob);
    if (done == null) {
      throw new PublishFailedException("not found after upload");
    }
    Checksums remote = remote(done);
    if (!sent.equals(it.local) || !same(remote, it.local)) {
      // Delete only the generation we just wrote, so a re-run uploads it again.
      storage.delete(it.blob, BlobSourceOption.generationMatch(done.getGeneration()));
      throw new PublishFailedException(
          !sent.equals(it.local)
              ? "the local file changed while it was uploaded (removed the object again)"
              : "checksum mismatch after upload: local "
                  + show(it.local)
                  + ", uploaded "
                  + show(remote)
                  + " (removed the object again)");
    }
    return true;
  }

  /**
   * The object's size and checksums: as GCS reports them, or from its bytes (see {@link Verify}).
   */
  private Checksums remote(Blob b) {
    long size = b.getSize() == null ? -1 : b.getSize();
    if (verify == Verify.METADATA && b.getCrc32c() != null) {
      return new Checksums(size, b.getCrc32c(), b.getMd5());
    }
    try (ReadChannel r =
        storage.reader(b.getBlobId(), BlobSourceOption.generationMatch(b.getGeneration()))) {
      Checksums.Builder cb = new Checksums.Builder();
      ByteBuffer bb = ByteBuffer.allocate(CHUNK);
      while (r.read(bb) > 0) {
        bb.flip();
        cb.update(bb.array(), 0, bb.limit());
        bb.clear();
      }
      return cb.build();
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot read back gs://" + b.getBucket() + "/" + b.getName(), e);
    }
  }

  /** Same size and CRC32C, and the same MD5 where both have one (composite objects have none). */
  static boolean same(Checksums remote, Checksums local) {
    return remote.bytes() == local.bytes()
        && local.crc32c().equals(remote.crc32c())
        && (remote.md5() == null || local.md5().equals(remote.md5()));
  }

  private String describeConflict(GcsUri dest, Item it, Blob existing) {
    return dest.uri(it.blob.getName())
        + " (generation "
        + existing.getGeneration()
        + ", "
        + show(remote(existing))
        + ") differs from "
        + it.file
        + " ("
        + show(it.local)
        + ")";
  }

  private static String show(Checksums c) {
    return c.bytes() + " bytes, crc32c " + c.crc32c();
  }

  private static boolean preconditionFailed(StorageException e) {
    for (Throwable c = e; c != null; c = c.getCause()) {
      if (c instanceof StorageException se && se.getCode() == 412) {
        return true;
      }
      if (c instanceof FileAlreadyExistsException) {
        return true; // how the in-memory fake reports a failed doesNotExist
      }
    }
    return false;
  }

  private static String message(Throwable e) {
    String m = e.getMessage();
    return m == null || m.isBlank() ? e.toString() : m;
  }

  static String contentType(String name) {
    String n = name.toLowerCase(Locale.ROOT);
    int dot = n.lastIndexOf('.');
    return switch (dot < 0 ? "" : n.substring(dot + 1)) {
      case "json" -> "application/json";
      case "html", "htm" -> "text/html; charset=utf-8";
      case "css" -> "text/css";
      case "js" -> "text/javascript";
      case "png" -> "image/png";
      case "svg" -> "image/svg+xml";
      case "csv" -> "text/csv; charset=utf-8";
      case "txt", "log", "tsv" -> "text/plain; charset=utf-8";
      case "yaml", "yml" -> "application/yaml";
      case "avro" -> "application/avro";
      default -> "application/octet-stream";
    };
  }
}
