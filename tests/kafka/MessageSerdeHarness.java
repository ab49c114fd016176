// Oracle for pykraft's request/response codec, run once as a single-file program over Kafka's jars:
//   java -cp 'LIBS/*' MessageSerdeHarness.java
// First prints Kafka's API table, one line per API with valid versions:
//   "T apiKey NAME lowest highest requestHeaderVersions responseHeaderVersions"
//   (highest with unstable versions enabled; header versions comma-separated, lowest..highest)
// then answers stdin, one line in, one line out:
//   "D apiKey version request|response <hex>"  -> Kafka reads the body, writes it back:
//        "OK <re-serialized hex> <Kafka's JSON of the message>" or "ERR <message>"
//   "E apiKey version request|response <json>" -> Kafka builds the message from its JSON form:
//        "OK <serialized hex>" or "ERR <message>"
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.StringJoiner;
import org.apache.kafka.common.message.ApiMessageType;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.protocol.ObjectSerializationCache;

public class MessageSerdeHarness {
    static final ObjectMapper MAPPER = new ObjectMapper();
    static final HexFormat HEX = HexFormat.of();

    static ApiMessage fresh(short apiKey, String direction) {
        ApiMessageType type = ApiMessageType.fromApiKey(apiKey);
        return switch (direction) {
            case "request" -> type.newRequest();
            case "response" -> type.newResponse();
            default -> throw new IllegalArgumentException("direction " + direction);
        };
    }

    // the generated <Message>JsonConverter of a message class
    static Class<?> converter(ApiMessage message) throws ClassNotFoundException {
        return Class.forName(message.getClass().getName() + "JsonConverter");
    }

    static String bytes(ApiMessage message, short version) {
        ObjectSerializationCache cache = new ObjectSerializationCache();
        ByteBuffer out = ByteBuffer.allocate(message.size(cache, version));
        message.write(new ByteBufferAccessor(out), cache, version);
        return HEX.formatHex(out.array());
    }

    static String decode(short apiKey, short version, String direction, String hex) throws Exception {
        ApiMessage message = fresh(apiKey, direction);
        ByteBuffer in = ByteBuffer.wrap(HEX.parseHex(hex));
        message.read(new ByteBufferAccessor(in), version);
        if (in.hasRemaining()) {
            return "ERR " + in.remaining() + " trailing bytes";
        }
        Method write = converter(message).getMethod("write", message.getClass(), short.class, boolean.class);
        JsonNode json = (JsonNode) write.invoke(null, message, version, true);
        return "OK " + bytes(message, version) + " " + MAPPER.writeValueAsString(json);
    }

    static String encode(short apiKey, short version, String direction, String json) throws Exception {
        ApiMessage template = fresh(apiKey, direction);
        Method read = converter(template).getMethod("read", JsonNode.class, short.class);
        ApiMessage message = (ApiMessage) read.invoke(null, MAPPER.readTree(json), version);
        return "OK " + bytes(message, version);
    }

    static String answer(String line) throws Exception {
        String[] parts = line.trim().split(" ", 5);
        short apiKey = Short.parseShort(parts[1]);
        short version = Short.parseShort(parts[2]);
        String body = parts.length > 4 ? parts[4] : "";
        return switch (parts[0]) {
            case "D" -> decode(apiKey, version, parts[3], body);
            case "E" -> encode(apiKey, version, parts[3], body);
            default -> throw new IllegalArgumentException("mode " + parts[0]);
        };
    }

    public static void main(String[] args) throws Exception {
        StringBuilder out = new StringBuilder();
        for (ApiMessageType type : ApiMessageType.values()) {
            short lowest = type.lowestSupportedVersion();
            short highest = type.highestSupportedVersion(true);
            if (highest < lowest) continue; // retired APIs (LeaderAndIsr, ...)
            StringJoiner requestHeaders = new StringJoiner(",");
            StringJoiner responseHeaders = new StringJoiner(",");
            for (short v = lowest; v <= highest; v++) {
                requestHeaders.add(String.valueOf(type.requestHeaderVersion(v)));
                responseHeaders.add(String.valueOf(type.responseHeaderVersion(v)));
            }
            out.append("T ").append(type.apiKey()).append(' ').append(type.name).append(' ')
                    .append(lowest).append(' ').append(highest).append(' ')
                    .append(requestHeaders).append(' ').append(responseHeaders).append('\n');
        }
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (String line; (line = in.readLine()) != null; ) {
            if (line.isBlank()) continue;
            try {
                out.append(answer(line));
            } catch (InvocationTargetException e) {
                out.append("ERR ").append(String.valueOf(e.getCause()).replace('\n', ' '));
            } catch (Exception | AssertionError e) {
                out.append("ERR ").append(String.valueOf(e).replace('\n', ' '));
            }
            out.append('\n');
        }
        System.out.write(out.toString().getBytes(StandardCharsets.UTF_8));
        System.out.flush();
    }
}
