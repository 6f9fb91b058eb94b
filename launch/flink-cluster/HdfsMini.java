import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.hdfs.MiniDFSCluster;

/**
 * A real HDFS (NameNode + one DataNode, Hadoop's MiniDFSCluster from hadoop-client-minicluster 3.5.0) as its own
 * process on 127.0.0.1, for the share-nothing mode of launch/flink-cluster.sh. Not part of hatflow's build: the
 * script compiles it into the cluster's state dir against the classpath of launch/flink-cluster/hdfs-pom.xml.
 *
 * <pre>
 * java -cp CP HdfsMini STATE_DIR [NAMENODE_RPC_PORT [NAMENODE_HTTP_PORT]]    (port 0 or absent: a free port)
 * </pre>
 *
 * Formats a fresh file system under STATE_DIR/data (replication 1), waits until the DataNode is registered and
 * the NameNode has left safe mode, then writes STATE_DIR/rpc.port and STATE_DIR/http.port (each via a temp file
 * and a rename, so a reader never sees half a number) and stays up until killed.
 */
public final class HdfsMini {
  private HdfsMini() {}

  public static void main(String[] args) throws Exception {
    if (args.length < 1 || args.length > 3) {
      System.err.println("usage: HdfsMini STATE_DIR [NAMENODE_RPC_PORT [NAMENODE_HTTP_PORT]]");
      System.exit(2);
    }
    Path state = Path.of(args[0]).toAbsolutePath();
    int rpcPort = args.length > 1 ? Integer.parseInt(args[1]) : 0;
    int httpPort = args.length > 2 ? Integer.parseInt(args[2]) : 0;
    Files.createDirectories(state);
    Files.deleteIfExists(state.resolve("rpc.port"));
    Files.deleteIfExists(state.resolve("http.port"));

    Configuration conf = new Configuration();
    conf.setInt("dfs.replication", 1);
    conf.set("dfs.namenode.rpc-bind-host", "127.0.0.1");
    conf.set("dfs.namenode.http-bind-host", "127.0.0.1");
    conf.set("dfs.namenode.servicerpc-bind-host", "127.0.0.1");
    // The DataNode registers as 127.0.0.1, and clients (the TaskManagers) connect to it by that address.
    conf.set("dfs.datanode.hostname", "127.0.0.1");
    conf.setBoolean("dfs.client.use.datanode.hostname", false);
    conf.setBoolean("dfs.webhdfs.enabled", true);
    // The cluster's jobs run as the same user (root) as this process; no permission model to emulate.
    conf.setBoolean("dfs.permissions.enabled", false);

    MiniDFSCluster cluster = new MiniDFSCluster.Builder(conf, new File(state.resolve("data").toString()))
        .numDataNodes(1)
        .nameNodePort(rpcPort)
        .nameNodeHttpPort(httpPort)
        .format(true)
        .manageNameDfsDirs(true)
        .manageDataDfsDirs(true)
        .waitSafeMode(true)
        .build();
    cluster.waitActive();
    cluster.waitClusterUp();

    int rpc = cluster.getNameNodePort();
    int http = cluster.getNameNode().getHttpAddress().getPort();
    write(state.resolve("rpc.port"), rpc);
    write(state.resolve("http.port"), http);
    System.out.println("hdfs-mini: up: hdfs://127.0.0.1:" + rpc + " webhdfs http://127.0.0.1:" + http
        + " datanodes " + cluster.getDataNodes().size() + " data " + state.resolve("data"));
    System.out.flush();
    // No shutdown hook of our own: the file system is formatted afresh at every start, and MiniDFSCluster.shutdown()
    // from a hook only races Hadoop's own hooks ("Shutdown in progress" noise). SIGTERM/SIGKILL simply end it.
    Thread.currentThread().join();
  }

  private static void write(Path file, int port) throws IOException {
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    Files.writeString(tmp, port + "\n", StandardCharsets.UTF_8);
    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }
}
