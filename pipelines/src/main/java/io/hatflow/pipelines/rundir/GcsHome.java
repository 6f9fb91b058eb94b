package io.hatflow.pipelines.rundir;

import com.google.cloud.ReadChannel;
import com.google.cloud.WriteChannel;
import com.google.cloud.storage.Blob;
import com.google.cloud.storage.BlobId;
import com.google.cloud.storage.BlobInfo;
import com.google.cloud.storage.Storage;
import com.google.cloud.storage.Storage.BlobListOption;
import com.google.cloud.storage.Storage.BlobWriteOption;
import com.google.cloud.storage.StorageException;
import io.hatflow.pipelines.publish.GcsUri;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/**
 * A run directory on Cloud Storage, through the Cloud Storage client. Objects appear whole or not
 * at all, so a file is committed by writing the whole object with a generation precondition (the
 * generation this copy last saw, or "does not exist"): a concurrent writer makes the write fail
 * instead of being overwritten. The lock is an object created only if it does not exist.
 */
final class GcsHome extends SyncedHome {
  private final Storage storage;
  private final GcsUri root;

  GcsHome(String uri, Storage storage) {
    super(uri);
    this.storage = storage;
    this.root = GcsUri.parse(uri());
  }

  private BlobId blob(String rel) {
    return BlobId.of(root.bucket(), root.objectName(rel));
  }

  @Override
  Map<String, Remote> list(String rel) {
    Map<String, Remote> out = new TreeMap<>();
    String prefix = root.objectName(rel);
    String base = root.objectName("");
    for (Blob b : storage.list(root.bucket(), BlobListOption.prefix(prefix)).iterateAll()) {
      String r = b.getName().substring(base.length());
      if (!r.equals(rel) && !r.startsWith(rel.isEmpty() ? "" : rel + "/")) {
        continue; // "train" must not match "train2/..."
      }
      out.put(r, new Remote(b.getSize(), String.valueOf(b.getGeneration())));
    }
    return out;
  }

  @Override
  void download(String rel, Path dst) throws IOException {
    try (ReadChannel r = storage.reader(blob(rel));
        InputStream in = Channels.newInputStream(r)) {
      Files.copy(in, dst);
    }
  }

  @Override
  Remote upload(Path src, String rel) throws IOException {
    Blob current = storage.get(blob(rel));
    BlobWriteOption pre =
        current == null
            ? BlobWriteOption.doesNotExist()
            : BlobWriteOption.generationMatch(current.getGeneration());
    BlobInfo info =
        BlobInfo.newBuilder(blob(rel)).setContentType("application/octet-stream").build();
    try (WriteChannel w = storage.writer(info, pre);
        OutputStream out = Channels.newOutputStream(w)) {
      Files.copy(src, out);
    } catch (StorageException e) {
      throw new IOException(root.uri(root.objectName(rel)) + ": " + e.getMessage(), e);
    }
    Blob done = storage.get(blob(rel));
    return new Remote(done.getSize(), String.valueOf(done.getGeneration()));
  }

  @Override
  void delete(String rel) {
    for (Blob b :
        storage.list(root.bucket(), BlobListOption.prefix(root.objectName(rel))).iterateAll()) {
      String r = b.getName().substring(root.objectName("").length());
      if (r.equals(rel) || r.startsWith(rel + "/")) {
        storage.delete(b.getBlobId());
      }
    }
  }

  @Override
  boolean createExclusive(String rel, byte[] content) throws IOException {
    if (storage.get(blob(rel)) != null) {
      return false;
    }
    // The precondition makes the create exclusive when two machines race past the check above.
    try (WriteChannel w =
        storage.writer(BlobInfo.newBuilder(blob(rel)).build(), BlobWriteOption.doesNotExist())) {
      w.write(java.nio.ByteBuffer.wrap(content));
      return true;
    } catch (StorageException e) {
      if (e.getCode() == 412) {
        return false;
      }
      throw e;
    }
  }

  @Override
  byte[] readOrNull(String rel) {
    Blob b = storage.get(blob(rel));
    return b == null ? null : b.getContent();
  }
}
