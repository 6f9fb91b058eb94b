package io.hatflow.pipelines.rundir;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileAlreadyExistsException;
import org.apache.hadoop.fs.FileContext;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Options;
import org.apache.hadoop.fs.RemoteIterator;

/**
 * A run directory on HDFS (or any Hadoop filesystem), through Hadoop's own client, the one Beam's
 * {@code hdfs://} FileSystem wraps: a file is committed by an atomic rename over the old one (a
 * NameNode operation), and the lock is an exclusive create.
 */
final class HadoopHome extends SyncedHome {
  private final FileSystem fs;
  private final FileContext fc;
  private final org.apache.hadoop.fs.Path root;

  HadoopHome(String uri, Configuration conf) {
    super(uri);
    try {
      URI u = URI.create(uri());
      this.fs = FileSystem.newInstance(u, conf);
      this.fc = FileContext.getFileContext(u, conf);
      this.root = new org.apache.hadoop.fs.Path(u);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(
          uri + ": cannot reach the filesystem: " + e.getMessage(), e);
    }
  }

  /**
   * A client that fails within seconds when the NameNode is unreachable (Hadoop's defaults retry
   * for minutes).
   */
  static Configuration quickFailing(Configuration base) {
    Configuration c =
        new Configuration(); // Hadoop's defaults (filesystem implementations), then the given keys
    for (java.util.Map.Entry<String, String> e : base) {
      c.set(e.getKey(), e.getValue());
    }
    c.setInt("ipc.client.connect.max.retries", 1);
    c.setInt("ipc.client.connect.max.retries.on.timeouts", 1);
    c.setInt("ipc.client.connect.timeout", 5000);
    c.setBoolean("dfs.client.retry.policy.enabled", false);
    c.setBoolean("fs.hdfs.impl.disable.cache", true);
    return c;
  }

  private org.apache.hadoop.fs.Path path(String rel) {
    return rel.isEmpty() ? root : new org.apache.hadoop.fs.Path(root, rel);
  }

  private static Remote remote(FileStatus s) {
    return new Remote(s.getLen(), s.getModificationTime() + "/" + s.getLen());
  }

  @Override
  Map<String, Remote> list(String rel) throws IOException {
    Map<String, Remote> out = new TreeMap<>();
    org.apache.hadoop.fs.Path p = path(rel);
    FileStatus st;
    try {
      st = fs.getFileStatus(p);
    } catch (FileNotFoundException e) {
      return out;
    }
    if (st.isFile()) {
      out.put(rel, remote(st));
      return out;
    }
    String base = fs.makeQualified(root).toUri().getPath();
    RemoteIterator<LocatedFileStatus> it = fs.listFiles(p, true);
    while (it.hasNext()) {
      LocatedFileStatus f = it.next();
      String r = f.getPath().toUri().getPath().substring(base.length()).replaceFirst("^/", "");
      out.put(r, remote(f));
    }
    return out;
  }

  @Override
  void download(String rel, Path dst) throws IOException {
    try (InputStream in = fs.open(path(rel))) {
      Files.copy(in, dst);
    }
  }

  @Override
  Remote upload(Path src, String rel) throws IOException {
    org.apache.hadoop.fs.Path dst = path(rel);
    org.apache.hadoop.fs.Path tmp =
        path(rel + ".push-tmp-" + UUID.randomUUID().toString().substring(0, 8));
    try (OutputStream out = fs.create(tmp, false)) {
      Files.copy(src, out);
    }
    try {
      fc.rename(tmp, dst, Options.Rename.OVERWRITE);
    } catch (IOException e) {
      fs.delete(tmp, false);
      throw e;
    }
    return remote(fs.getFileStatus(dst));
  }

  @Override
  void delete(String rel) throws IOException {
    fs.delete(path(rel), true);
  }

  @Override
  boolean createExclusive(String rel, byte[] content) throws IOException {
    try (OutputStream out = fs.create(path(rel), false)) {
      out.write(content);
      return true;
    } catch (FileAlreadyExistsException e) {
      return false;
    } catch (org.apache.hadoop.ipc.RemoteException e) {
      if (e.unwrapRemoteException() instanceof FileAlreadyExistsException) {
        return false;
      }
      throw e;
    }
  }

  @Override
  byte[] readOrNull(String rel) throws IOException {
    try (InputStream in = fs.open(path(rel))) {
      return in.readAllBytes();
    } catch (FileNotFoundException e) {
      return null;
    }
  }
}
