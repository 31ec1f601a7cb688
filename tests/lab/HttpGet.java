// HTTP GET to an IPv4 literal, for the libclat lab. Run with the single-file
// source launcher: java HttpGet.java 203.0.113.10 8080
// With IPv6 available the JDK uses AF_INET6 sockets and connects them to
// ::ffff:203.0.113.10, which libclat has to translate as well.
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

public class HttpGet {
    public static void main(String[] args) throws Exception {
        String host = args[0];
        int port = Integer.parseInt(args[1]);
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(host, port), 5000);
            s.setSoTimeout(5000);
            System.out.println("remote=" + s.getRemoteSocketAddress()
                    + " local=" + s.getLocalSocketAddress());
            OutputStream out = s.getOutputStream();
            out.write(("GET / HTTP/1.0\r\nHost: " + host + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            byte[] buf = new byte[8192];
            int n;
            while ((n = in.read(buf)) > 0) {
                body.write(buf, 0, n);
            }
            System.out.println(body.toString(StandardCharsets.UTF_8));
        }
    }
}
