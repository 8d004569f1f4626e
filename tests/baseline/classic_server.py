# The classic example server (PyMOTW-3, "User Datagram Client and Server"),
# as the baseline ci/bench.sh measures udpecho-server against.  The port is
# an argument (0: ephemeral) and the per-datagram prints are gone, since
# printing would be what is measured.
import socket
import sys

sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.bind(('localhost', int(sys.argv[1]) if len(sys.argv) > 1 else 10000))
print('starting up on {} port {}'.format(*sock.getsockname()), flush=True)
while True:
    data, address = sock.recvfrom(4096)
    if data:
        sock.sendto(data, address)
