package io.hatflow.pipelines.publish;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.zip.CRC32C;

/**
 * An object's size with CRC32C and MD5 in GCS's own encoding (base64 of the big-endian CRC32C,
 * base64 of the MD5 digest), so they compare directly with {@code Blob.getCrc32c()} / {@code
 * Blob.getMd5()}.
 */
public record Checksums(long bytes, String crc32c, String md5) {

  /** Accumulates checksums over streamed bytes. */
  public static final class Builder {
    private final CRC32C crc = new CRC32C();
    private final MessageDigest md5;
    private long bytes;

    public Builder() {
      try {
        md5 = MessageDigest.getInstance("MD5");
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException(e);
      }
    }

    public void update(byte[] b, int off, int len) {
      crc.update(b, off, len);
      md5.update(b, off, len);
      bytes += len;
    }

    public Checksums build() {
      byte[] c = ByteBuffer.allocate(4).putInt((int) crc.getValue()).array();
      Base64.Encoder b64 = Base64.getEncoder();
      return new Checksums(bytes, b64.encodeToString(c), b64.encodeToString(md5.digest()));
    }
  }

  public static Checksums of(InputStream in) throws IOException {
    Builder b = new Builder();
    byte[] buf = new byte[1 << 16];
    for (int r; (r = in.read(buf)) > 0; ) {
      b.update(buf, 0, r);
    }
    return b.build();
  }

  public static Checksums of(Path file) {
    try (InputStream in = Files.newInputStream(file)) {
      return of(in);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
  }

  public static Checksums of(byte[] bytes) {
    Builder b = new Builder();
    b.update(bytes, 0, bytes.length);
    return b.build();
  }
}
