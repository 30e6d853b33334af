# Prints reference pixels of the face-api demo images (see test/helpers/image-reference.ts), decoded
# without jpeg-js or pngjs: JPEGs from `djpeg -ppm` output (libjpeg-turbo) in /tmp/imgsmoke/sN.ppm,
# PNGs by the small zlib + filter reader below. Run from the project root: python3 scripts/image-reference.py
import zlib, struct, sys, json
def png_rgb(path):
    b = open(path,'rb').read(); assert b[:8] == b'\x89PNG\r\n\x1a\n'
    i = 8; idat = b''; plte = None
    while i < len(b):
        n, = struct.unpack('>I', b[i:i+4]); t = b[i+4:i+8]; d = b[i+8:i+8+n]; i += 12 + n
        if t == b'IHDR': w, h, depth, ct, _, _, il = struct.unpack('>IIBBBBB', d)
        elif t == b'PLTE': plte = d
        elif t == b'IDAT': idat += d
    assert depth == 8 and il == 0, (depth, il)
    bpp = {2: 3, 3: 1, 6: 4, 0: 1, 4: 2}[ct]
    raw = zlib.decompress(idat); stride = w * bpp; out = []; prev = bytearray(stride); p = 0
    for y in range(h):
        f = raw[p]; line = bytearray(raw[p+1:p+1+stride]); p += 1 + stride
        for x in range(stride):
            a = line[x-bpp] if x >= bpp else 0; up = prev[x]; c = prev[x-bpp] if x >= bpp else 0
            if f == 1: line[x] = (line[x] + a) & 255
            elif f == 2: line[x] = (line[x] + up) & 255
            elif f == 3: line[x] = (line[x] + ((a + up) >> 1)) & 255
            elif f == 4:
                pa, pb, pc = abs(up - c), abs(a - c), abs(a + up - 2*c)
                pr = a if pa <= pb and pa <= pc else (up if pb <= pc else c)
                line[x] = (line[x] + pr) & 255
        out.append(bytes(line)); prev = line
    rgb = bytearray()
    for line in out:
        if ct == 2: rgb += line
        elif ct == 6: rgb += bytes(v for k in range(0, len(line), 4) for v in line[k:k+3])
        elif ct == 3: rgb += b''.join(plte[3*v:3*v+3] for v in line)
        elif ct == 0: rgb += bytes(v for v in line for _ in range(3))
    return w, h, rgb
def ppm_rgb(path):
    b = open(path,'rb').read(); parts = b.split(maxsplit=4); w, h = int(parts[1]), int(parts[2])
    return w, h, b[len(b) - w*h*3:]
def grid(w, h, rgb, gy, gx):
    out = []
    for by in range(gy):
        for bx in range(gx):
            y0, y1, x0, x1 = by*h//gy, (by+1)*h//gy, bx*w//gx, (bx+1)*w//gx
            s = [0,0,0]
            for y in range(y0, y1):
                row = rgb[(y*w+x0)*3:(y*w+x1)*3]
                for c in range(3): s[c] += sum(row[c::3])
            n = (y1-y0)*(x1-x0); out.append([round(v/n, 1) for v in s])
    return out
res = {}
for name, fn in [('facemesh.png', png_rgb), ('screenshot-webcam.png', png_rgb)]:
    w, h, rgb = fn('node_modules/@vladmandic/face-api/demo/' + name)
    res[name] = {'width': w, 'height': h, 'pixels': [[x, y, list(rgb[(y*w+x)*3:(y*w+x)*3+3])] for x, y in [(0,0),(w-1,h-1),(w//2,h//2),(w//3,h//5)]], 'grid': grid(w, h, rgb, 4, 4)}
for n in ['1', '6']:
    w, h, rgb = ppm_rgb('/tmp/imgsmoke/s%s.ppm' % n)
    res['sample%s.jpg' % n] = {'width': w, 'height': h, 'pixels': [[x, y, list(rgb[(y*w+x)*3:(y*w+x)*3+3])] for x, y in [(0,0),(w-1,h-1),(w//2,h//2),(512,500),(1580,340)]], 'grid': grid(w, h, rgb, 4, 4)}
print(json.dumps(res))
