package io.hatflow.pipelines.rundir;

import io.hatflow.core.run.AtomicFiles;
import io.hatflow.core.run.RunHome;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The working-copy protocol shared by every remote home: what was last synchronised is kept in the
 * working copy's {@code .sync} index (local size and modification time, remote size and stamp per
 * file), so a pull downloads only what changed at home and a push uploads only what changed here.
 * Subclasses supply the filesystem's primitives: list, download, an atomic upload, delete and an
 * exclusive create.
 */
abstract class SyncedHome implements RunHome {
  static final String INDEX = ".sync";
  static final String LOCK = ".lock";

  /**
   * A remote file's size and a stamp that changes whenever it is rewritten (modification time,
   * generation).
   */
  record Remote(long size, String stamp) {}

  private record Entry(long localSize, long localMtime, long remoteSize, String remoteStamp) {}

  private final String uri;
  private Map<String, Entry> index;
  private boolean locked;

  SyncedHome(String uri) {
    this.uri = uri.endsWith("/") ? uri.substring(0, uri.length() - 1) : uri;
  }

  @Override
  public String uri() {
    return uri;
  }

  /** Files under {@code rel} ("" for all), recursively, by path relative to the run directory. */
  abstract Map<String, Remote> list(String rel) throws IOException;

  /** Copies the home file {@code rel} to {@code dst} (which does not exist yet). */
  abstract void download(String rel, Path dst) throws IOException;

  /**
   * Writes {@code src} to {@code rel} so that readers see the old file or the whole new one;
   * returns its stamp.
   */
  abstract Remote upload(Path src, String rel) throws IOException;

  abstract void delete(String rel) throws IOException;

  /** Creates {@code rel} only if it does not exist; false when it does. */
  abstract boolean createExclusive(String rel, byte[] content) throws IOException;

  /** The content of {@code rel}, or null when it does not exist. */
  abstract byte[] readOrNull(String rel) throws IOException;

  @Override
  public void lock(String holder) {
    try {
      if (!createExclusive(LOCK, holder.getBytes(StandardCharsets.UTF_8))) {
        byte[] h = readOrNull(LOCK);
        throw new io.hatflow.core.run.RunDir.LockedException(
            uri
                + ": in use by another run ("
                + (h == null ? "holder unknown" : new String(h, StandardCharsets.UTF_8).trim())
                + "); wait for it to "
                + "finish or use another --run-dir. If that run is dead (killed, machine lost), delete "
                + resolve(LOCK));
      }
      locked = true;
    } catch (IOException e) {
      throw new UncheckedIOException(
          uri + ": cannot take the run's lock " + resolve(LOCK) + ": " + e.getMessage(), e);
    }
  }

  @Override
  public void unlock() {
    if (locked) {
      locked = false;
      try {
        delete(LOCK);
      } catch (IOException e) {
        System.err.println("warning: could not remove " + resolve(LOCK) + ": " + e.getMessage());
      }
    }
  }

  @Override
  public synchronized void pull(Path work, String rel) {
    try {
      Map<String, Entry> idx = index(work);
      Map<String, Remote> remote = list(rel);
      for (Map.Entry<String, Remote> e : remote.entrySet()) {
        String r = e.getKey();
        if (hidden(r)) {
          continue;
        }
        Path f = work.resolve(r);
        Entry known = idx.get(r);
        if (known != null
            && same(known, f)
            && known.remoteSize() == e.getValue().size()
            && known.remoteStamp().equals(e.getValue().stamp())) {
          continue;
        }
        Files.createDirectories(f.toAbsolutePath().getParent());
        Path tmp = f.resolveSibling(f.getFileName() + ".pull-tmp");
        Files.deleteIfExists(tmp);
        download(r, tmp);
        Files.move(tmp, f, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        idx.put(
            r,
            new Entry(
                Files.size(f),
                Files.getLastModifiedTime(f).toMillis(),
                e.getValue().size(),
                e.getValue().stamp()));
      }
      if (rel.isEmpty()) {
        // Opening a run: the working copy becomes exactly the home (a stale or foreign copy must
        // not be pushed).
        for (String r : localFiles(work, rel)) {
          if (!remote.containsKey(r)) {
            Files.delete(work.resolve(r));
            idx.remove(r);
          }
        }
        idx.keySet().retainAll(remote.keySet());
      }
      saveIndex(work);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot read the run directory " + resolve(rel) + ": " + e.getMessage(), e);
    }
  }

  @Override
  public synchronized void push(Path work, String rel) {
    try {
      Map<String, Entry> idx = index(work);
      List<String> local = localFiles(work, rel);
      for (String r : local) {
        Path f = work.resolve(r);
        Entry known = idx.get(r);
        if (known != null && same(known, f)) {
          continue;
        }
        long size = Files.size(f);
        long mtime = Files.getLastModifiedTime(f).toMillis();
        Remote up = upload(f, r);
        idx.put(r, new Entry(size, mtime, up.size(), up.stamp()));
      }
      // Files this copy once synchronised and has since deleted go at home too; files workers wrote
      // at home
      // directly (never in the index) are left alone.
      String prefix = rel.isEmpty() ? "" : rel + "/";
      for (String r : new ArrayList<>(idx.keySet())) {
        if ((r.equals(rel) || r.startsWith(prefix)) && !Files.exists(work.resolve(r))) {
          delete(r);
          idx.remove(r);
        }
      }
      saveIndex(work);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot write " + resolve(rel) + " to the run directory: " + e.getMessage(), e);
    }
  }

  private static boolean same(Entry e, Path f) throws IOException {
    return Files.isRegularFile(f)
        && Files.size(f) == e.localSize()
        && Files.getLastModifiedTime(f).toMillis() == e.localMtime();
  }

  /** Hidden top-level entries (the lock, the index) and temporary files never travel. */
  static boolean hidden(String rel) {
    return rel.equals(LOCK)
        || rel.equals(INDEX)
        || rel.contains(".pull-tmp")
        || rel.contains(".push-tmp");
  }

  private static List<String> localFiles(Path work, String rel) throws IOException {
    Path root = work.resolve(rel);
    List<String> out = new ArrayList<>();
    if (Files.isRegularFile(root)) {
      out.add(rel);
    } else if (Files.isDirectory(root)) {
      try (Stream<Path> s = Files.walk(root)) {
        for (Path p : (Iterable<Path>) s.filter(Files::isRegularFile)::iterator) {
          String r = work.relativize(p).toString().replace('\\', '/');
          if (!hidden(r)) {
            out.add(r);
          }
        }
      }
    }
    return out;
  }

  private Map<String, Entry> index(Path work) throws IOException {
    if (index == null) {
      index = new TreeMap<>();
      Path f = work.resolve(INDEX);
      if (Files.exists(f)) {
        for (String line : Files.readAllLines(f, StandardCharsets.UTF_8)) {
          String[] t = line.split("\t");
          if (t.length == 5) {
            index.put(
                t[0],
                new Entry(Long.parseLong(t[1]), Long.parseLong(t[2]), Long.parseLong(t[3]), t[4]));
          }
        }
      }
    }
    return index;
  }

  private void saveIndex(Path work) {
    StringBuilder b = new StringBuilder();
    index.forEach(
        (r, e) ->
            b.append(r)
                .append('\t')
                .append(e.localSize())
                .append('\t')
                .append(e.localMtime())
                .append('\t')
                .append(e.remoteSize())
                .append('\t')
                .append(e.remoteStamp())
                .append('\n'));
    AtomicFiles.writeString(work.resolve(INDEX), b.toString());
  }
}
