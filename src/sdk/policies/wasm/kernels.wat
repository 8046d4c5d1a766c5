;; Numeric kernels of the Plackett-Luce policy in WebAssembly (with 128-bit SIMD): the same arithmetic as the
;; TypeScript versions named below, which stay as the reference and the fallback. Compiled by scripts/build-wasm.js
;; into kernels.ts (the bytes, base64); test/sdk/wasm-kernels.test.ts checks that kernels.ts is this file compiled and
;; that every kernel agrees with its TypeScript version.
;;
;; Memory is laid out by the caller (wasm.ts); every pointer is a byte offset.
(module
  (import "math" "exp" (func $exp (param f64) (result f64)))
  (memory (export "memory") 1)

  ;; 2^e as a double, for -1022 <= e <= 1023.
  (func $pow2 (param $e i32) (result f64)
    (f64.reinterpret_i64 (i64.shl (i64.extend_i32_u (i32.add (local.get $e) (i32.const 1023))) (i64.const 52))))

  ;; mom[out .. out + 8 left) = the sums of v^{c0+1} .. v^{c0+8} over v = the doubles at [p, end) times inv, two
  ;; items at a time in the two lanes (an odd last one beside a zero, which adds nothing: every term has a factor v),
  ;; eight accumulators in registers (the loop over eight moments in LightTail.build). The caller guarantees that
  ;; v^{c0+8} is a normal number. Stores the first `left` (at most 8) of the eight sums.
  (func $moments8 (param $p i32) (param $end i32) (param $inv f64) (param $out i32) (param $c0 i32) (param $left i32)
    (local $vi v128) (local $v v128) (local $v2 v128) (local $v4 v128) (local $v8 v128) (local $b v128)
    (local $b2 v128) (local $b4 v128) (local $b6 v128) (local $e i32) (local $odd i32)
    (local $s1 v128) (local $s2 v128) (local $s3 v128) (local $s4 v128)
    (local $s5 v128) (local $s6 v128) (local $s7 v128) (local $s8 v128)
    (local.set $vi (f64x2.splat (local.get $inv)))
    (local.set $odd (i32.and (i32.shr_u (i32.sub (local.get $end) (local.get $p)) (i32.const 3)) (i32.const 1)))
    (if (local.get $odd) (then (local.set $end (i32.sub (local.get $end) (i32.const 8)))))
    (block $done
      (loop $pairs
        (if (i32.lt_u (local.get $p) (local.get $end))
          (then
            (local.set $v (f64x2.mul (v128.load (local.get $p)) (local.get $vi)))
            (local.set $p (i32.add (local.get $p) (i32.const 16))))
          (else
            (br_if $done (i32.eqz (local.get $odd)))
            (local.set $odd (i32.const 0))
            (local.set $v (f64x2.replace_lane 0 (f64x2.splat (f64.const 0))
              (f64.mul (f64.load (local.get $end)) (local.get $inv))))))
        (local.set $v2 (f64x2.mul (local.get $v) (local.get $v)))
        (local.set $v4 (f64x2.mul (local.get $v2) (local.get $v2)))
        (local.set $v8 (f64x2.mul (local.get $v4) (local.get $v4)))
        ;; b = v^c0
        (local.set $b (f64x2.splat (f64.const 1)))
        (local.set $e (i32.const 0))
        (block $pw (loop $pl
          (br_if $pw (i32.ge_s (local.get $e) (local.get $c0)))
          (local.set $b (f64x2.mul (local.get $b) (local.get $v8)))
          (local.set $e (i32.add (local.get $e) (i32.const 8)))
          (br $pl)))
        (local.set $b2 (f64x2.mul (local.get $b) (local.get $v2)))
        (local.set $b4 (f64x2.mul (local.get $b) (local.get $v4)))
        (local.set $b6 (f64x2.mul (local.get $b2) (local.get $v4)))
        (local.set $s1 (f64x2.add (local.get $s1) (f64x2.mul (local.get $b) (local.get $v))))
        (local.set $s2 (f64x2.add (local.get $s2) (local.get $b2)))
        (local.set $s3 (f64x2.add (local.get $s3) (f64x2.mul (local.get $b2) (local.get $v))))
        (local.set $s4 (f64x2.add (local.get $s4) (local.get $b4)))
        (local.set $s5 (f64x2.add (local.get $s5) (f64x2.mul (local.get $b4) (local.get $v))))
        (local.set $s6 (f64x2.add (local.get $s6) (local.get $b6)))
        (local.set $s7 (f64x2.add (local.get $s7) (f64x2.mul (local.get $b6) (local.get $v))))
        (local.set $s8 (f64x2.add (local.get $s8) (f64x2.mul (local.get $b4) (local.get $v4))))
        (br $pairs)))
    (call $store (local.get $out) (local.get $s1))
    (if (i32.gt_s (local.get $left) (i32.const 1)) (then (call $store (i32.add (local.get $out) (i32.const 8)) (local.get $s2))))
    (if (i32.gt_s (local.get $left) (i32.const 2)) (then (call $store (i32.add (local.get $out) (i32.const 16)) (local.get $s3))))
    (if (i32.gt_s (local.get $left) (i32.const 3)) (then (call $store (i32.add (local.get $out) (i32.const 24)) (local.get $s4))))
    (if (i32.gt_s (local.get $left) (i32.const 4)) (then (call $store (i32.add (local.get $out) (i32.const 32)) (local.get $s5))))
    (if (i32.gt_s (local.get $left) (i32.const 5)) (then (call $store (i32.add (local.get $out) (i32.const 40)) (local.get $s6))))
    (if (i32.gt_s (local.get $left) (i32.const 6)) (then (call $store (i32.add (local.get $out) (i32.const 48)) (local.get $s7))))
    (if (i32.gt_s (local.get $left) (i32.const 7)) (then (call $store (i32.add (local.get $out) (i32.const 56)) (local.get $s8)))))

  ;; mem[at] = lane 0 + lane 1 of s
  (func $store (param $at i32) (param $s v128)
    (f64.store (local.get $at) (f64.add (f64x2.extract_lane 0 (local.get $s)) (f64x2.extract_lane 1 (local.get $s)))))

  ;; LightTail.build (plackett-luce-tail.ts) without its caching: the nb weights at `in` (all > 0, largest wmax) sorted
  ;; by weight octave into `sorted` (stable counting sort; bucket numbers into the bytes at `bucket`, counts into the
  ;; 64 i32 at `count`), bucketStart (65 i32) at `start`, each bucket's upper bound (64 f64) at `upper`, and the suffix
  ;; moments (row k: C f64 from mom + 8 k C) at `mom`. Returns the number of buckets.
  (func $tailBuild (export "tailBuild") (param $in i32) (param $sorted i32) (param $bucket i32) (param $count i32) (param $start i32)
    (param $upper i32) (param $mom i32) (param $nb i32) (param $C i32) (param $wmax f64) (result i32)
    (local $i i32) (local $k i32) (local $last i32) (local $nB i32) (local $inv f64) (local $at i32) (local $pos i32)
    (local $row i32) (local $next i32) (local $from i32) (local $end i32) (local $c i32) (local $v f64) (local $p f64)
    (local $s f64)
    (memory.fill (local.get $count) (i32.const 0) (i32.const 256))
    (local.set $inv (f64.div (f64.const 1) (local.get $wmax)))
    ;; octave bucket of v = w / wmax in (0, 1]: b with v in [2^-b, 2^{1-b}), capped at 63
    (block $b0 (loop $l0
      (br_if $b0 (i32.ge_u (local.get $i) (local.get $nb)))
      (local.set $k (i32.sub (i32.const 1023)
        (i32.and (i32.wrap_i64 (i64.shr_u (i64.reinterpret_f64
          (f64.mul (f64.load (i32.add (local.get $in) (i32.shl (local.get $i) (i32.const 3)))) (local.get $inv)))
          (i64.const 52))) (i32.const 0x7ff))))
      (if (i32.gt_s (local.get $k) (i32.const 63)) (then (local.set $k (i32.const 63))))
      (if (i32.lt_s (local.get $k) (i32.const 0)) (then (local.set $k (i32.const 0))))
      (i32.store8 (i32.add (local.get $bucket) (local.get $i)) (local.get $k))
      (local.set $at (i32.add (local.get $count) (i32.shl (local.get $k) (i32.const 2))))
      (i32.store (local.get $at) (i32.add (i32.load (local.get $at)) (i32.const 1)))
      (if (i32.gt_s (local.get $k) (local.get $last)) (then (local.set $last (local.get $k))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l0)))
    (local.set $nB (select (i32.add (local.get $last) (i32.const 1)) (i32.const 0) (i32.gt_s (local.get $nb) (i32.const 0))))
    ;; bucketStart, upper bounds wmax 2^{1-k}, and count[] reset to each bucket's start as the fill cursor
    (i32.store (local.get $start) (i32.const 0))
    (local.set $k (i32.const 0))
    (block $b1 (loop $l1
      (br_if $b1 (i32.ge_s (local.get $k) (local.get $nB)))
      (local.set $at (i32.shl (local.get $k) (i32.const 2)))
      (local.set $pos (i32.load (i32.add (local.get $start) (local.get $at))))
      (i32.store (i32.add (i32.add (local.get $start) (local.get $at)) (i32.const 4))
        (i32.add (local.get $pos) (i32.load (i32.add (local.get $count) (local.get $at)))))
      (i32.store (i32.add (local.get $count) (local.get $at)) (local.get $pos))
      (f64.store (i32.add (local.get $upper) (i32.shl (local.get $k) (i32.const 3)))
        (f64.mul (local.get $wmax) (call $pow2 (i32.sub (i32.const 1) (local.get $k)))))
      (local.set $k (i32.add (local.get $k) (i32.const 1)))
      (br $l1)))
    ;; counting sort
    (local.set $i (i32.const 0))
    (block $b2 (loop $l2
      (br_if $b2 (i32.ge_u (local.get $i) (local.get $nb)))
      (local.set $at (i32.add (local.get $count) (i32.shl (i32.load8_u (i32.add (local.get $bucket) (local.get $i))) (i32.const 2))))
      (local.set $pos (i32.load (local.get $at)))
      (i32.store (local.get $at) (i32.add (local.get $pos) (i32.const 1)))
      (f64.store (i32.add (local.get $sorted) (i32.shl (local.get $pos) (i32.const 3)))
        (f64.load (i32.add (local.get $in) (i32.shl (local.get $i) (i32.const 3)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l2)))
    ;; per-bucket moments in units of the bucket's upper bound
    (memory.fill (local.get $mom) (i32.const 0) (i32.shl (i32.mul (local.get $nB) (local.get $C)) (i32.const 3)))
    (local.set $k (i32.const 0))
    (block $b3 (loop $l3
      (br_if $b3 (i32.ge_s (local.get $k) (local.get $nB)))
      (local.set $inv (f64.div (f64.const 1) (f64.load (i32.add (local.get $upper) (i32.shl (local.get $k) (i32.const 3))))))
      (local.set $row (i32.add (local.get $mom) (i32.shl (i32.mul (local.get $k) (local.get $C)) (i32.const 3))))
      (local.set $from (i32.load (i32.add (local.get $start) (i32.shl (local.get $k) (i32.const 2)))))
      (local.set $end (i32.load (i32.add (local.get $start) (i32.add (i32.shl (local.get $k) (i32.const 2)) (i32.const 4)))))
      (if (i32.lt_s (local.get $k) (i32.const 63))
        (then
          ;; v >= 1/2, so v^48 >= 2^-48: no underflow
          (local.set $c (i32.const 0))
          (block $b4 (loop $l4
            (br_if $b4 (i32.ge_s (local.get $c) (local.get $C)))
            (call $moments8
              (i32.add (local.get $sorted) (i32.shl (local.get $from) (i32.const 3)))
              (i32.add (local.get $sorted) (i32.shl (local.get $end) (i32.const 3)))
              (local.get $inv) (i32.add (local.get $row) (i32.shl (local.get $c) (i32.const 3)))
              (local.get $c) (i32.sub (local.get $C) (local.get $c)))
            (local.set $c (i32.add (local.get $c) (i32.const 8)))
            (br $l4))))
        (else
          ;; the last bucket holds everything lighter: each item's powers stop once below 1e-250
          (local.set $i (local.get $from))
          (block $b5 (loop $l5
            (br_if $b5 (i32.ge_s (local.get $i) (local.get $end)))
            (local.set $v (f64.mul (f64.load (i32.add (local.get $sorted) (i32.shl (local.get $i) (i32.const 3)))) (local.get $inv)))
            (local.set $p (local.get $v))
            (local.set $c (i32.const 0))
            (block $b6 (loop $l6
              (br_if $b6 (i32.ge_s (local.get $c) (local.get $C)))
              (local.set $at (i32.add (local.get $row) (i32.shl (local.get $c) (i32.const 3))))
              (f64.store (local.get $at) (f64.add (f64.load (local.get $at)) (local.get $p)))
              (local.set $p (f64.mul (local.get $p) (local.get $v)))
              (br_if $b6 (f64.lt (local.get $p) (f64.const 1e-250)))
              (local.set $c (i32.add (local.get $c) (i32.const 1)))
              (br $l6)))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $l5)))))
      (local.set $k (i32.add (local.get $k) (i32.const 1)))
      (br $l3)))
    ;; suffix sums: M_k = S_k + 2^-c M_{k+1}, below 1e-250 taken as 0
    (local.set $k (i32.sub (local.get $nB) (i32.const 2)))
    (block $b7 (loop $l7
      (br_if $b7 (i32.lt_s (local.get $k) (i32.const 0)))
      (local.set $row (i32.add (local.get $mom) (i32.shl (i32.mul (local.get $k) (local.get $C)) (i32.const 3))))
      (local.set $next (i32.add (local.get $row) (i32.shl (local.get $C) (i32.const 3))))
      (local.set $s (f64.const 0.5))
      (local.set $c (i32.const 0))
      (block $b8 (loop $l8
        (br_if $b8 (i32.ge_s (local.get $c) (local.get $C)))
        (local.set $at (i32.shl (local.get $c) (i32.const 3)))
        (local.set $v (f64.add (f64.load (i32.add (local.get $row) (local.get $at)))
          (f64.mul (local.get $s) (f64.load (i32.add (local.get $next) (local.get $at))))))
        (f64.store (i32.add (local.get $row) (local.get $at))
          (select (f64.const 0) (local.get $v) (f64.lt (local.get $v) (f64.const 1e-250))))
        (local.set $s (f64.mul (local.get $s) (f64.const 0.5)))
        (local.set $c (i32.add (local.get $c) (i32.const 1)))
        (br $l8)))
      (local.set $k (i32.sub (local.get $k) (i32.const 1)))
      (br $l7)))
    (local.get $nB))

  ;; The bulk of the integral, then tailBuild: in[0..nb) = the full[i], i < n, that are not among the m query indices
  ;; at `qidx` (i32) and exceed wMin, in index order (gatherBulk in plackett-luce-tail.ts; the n bytes at `mask`
  ;; must be 0, and are left 0). Writes nb (i32) at res and their largest (f64) at res + 8; returns the buckets.
  (func (export "tailBuildFrom") (param $full i32) (param $n i32) (param $qidx i32) (param $m i32) (param $mask i32)
    (param $wMin f64) (param $in i32) (param $sorted i32) (param $bucket i32) (param $count i32) (param $start i32)
    (param $upper i32) (param $mom i32) (param $C i32) (param $res i32) (result i32)
    (local $i i32) (local $nb i32) (local $w f64) (local $max f64) (local $a i32)
    (block $b0 (loop $l0
      (br_if $b0 (i32.ge_s (local.get $a) (local.get $m)))
      (i32.store8 (i32.add (local.get $mask) (i32.load (i32.add (local.get $qidx) (i32.shl (local.get $a) (i32.const 2))))) (i32.const 1))
      (local.set $a (i32.add (local.get $a) (i32.const 1)))
      (br $l0)))
    (block $b1 (loop $l1
      (br_if $b1 (i32.ge_s (local.get $i) (local.get $n)))
      (local.set $w (f64.load (i32.add (local.get $full) (i32.shl (local.get $i) (i32.const 3)))))
      (if (i32.and (i32.eqz (i32.load8_u (i32.add (local.get $mask) (local.get $i)))) (f64.gt (local.get $w) (local.get $wMin)))
        (then
          (f64.store (i32.add (local.get $in) (i32.shl (local.get $nb) (i32.const 3))) (local.get $w))
          (local.set $nb (i32.add (local.get $nb) (i32.const 1)))
          (if (f64.gt (local.get $w) (local.get $max)) (then (local.set $max (local.get $w))))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l1)))
    (local.set $a (i32.const 0))
    (block $b2 (loop $l2
      (br_if $b2 (i32.ge_s (local.get $a) (local.get $m)))
      (i32.store8 (i32.add (local.get $mask) (i32.load (i32.add (local.get $qidx) (i32.shl (local.get $a) (i32.const 2))))) (i32.const 0))
      (local.set $a (i32.add (local.get $a) (i32.const 1)))
      (br $l2)))
    (i32.store (local.get $res) (local.get $nb))
    (f64.store offset=8 (local.get $res) (local.get $max))
    (call $tailBuild (local.get $in) (local.get $sorted) (local.get $bucket) (local.get $count) (local.get $start)
      (local.get $upper) (local.get $mom) (local.get $nb) (local.get $C) (local.get $max)))

  ;; LightTail.evaluate (plackett-luce-tail.ts), the same operations in the same order: the truncated polynomial of
  ;; the buckets hb.. at time t into out[0..D] (f64), if its error bound is within tol; returns 1, else 0 (out then
  ;; unspecified). `coef`: lambdaCoef ((CM+1)^2 f64, CM = cm), `recip`: 1/m, `mpow`: m^{C+1}/(C+1)!, `scratch`: seven
  ;; arrays of cm + 1 f64 (y, lambda, delta lambda, err, m lambda, m |lambda|, m delta lambda). exp is Math.exp.
  (func (export "tailEvaluate") (param $t f64) (param $hb i32) (param $D i32) (param $tol f64) (param $C i32)
    (param $cm i32) (param $upper i32) (param $mom i32) (param $coef i32) (param $recip i32) (param $mpow i32)
    (param $scratch i32) (param $out i32) (result i32)
    (local $X f64) (local $row i32) (local $pw f64) (local $top i32) (local $c i32) (local $y1 f64) (local $xp f64)
    (local $xc f64) (local $m i32) (local $s f64) (local $lo i32) (local $ym f64) (local $d i32) (local $v f64)
    (local $a f64) (local $e f64) (local $pm f64) (local $al f64) (local $l f64) (local $invD f64) (local $abs f64)
    (local $rel f64) (local $y i32) (local $lam i32) (local $dlam i32) (local $err i32) (local $ml i32) (local $mal i32)
    (local $mdl i32) (local $stride i32)
    (local.set $stride (i32.shl (i32.add (local.get $cm) (i32.const 1)) (i32.const 3)))
    (local.set $y (local.get $scratch))
    (local.set $lam (i32.add (local.get $y) (local.get $stride)))
    (local.set $dlam (i32.add (local.get $lam) (local.get $stride)))
    (local.set $err (i32.add (local.get $dlam) (local.get $stride)))
    (local.set $ml (i32.add (local.get $err) (local.get $stride)))
    (local.set $mal (i32.add (local.get $ml) (local.get $stride)))
    (local.set $mdl (i32.add (local.get $mal) (local.get $stride)))
    (local.set $X (f64.mul (f64.load (i32.add (local.get $upper) (i32.shl (local.get $hb) (i32.const 3)))) (local.get $t)))
    (if (i32.ge_s (local.get $D) (local.get $C)) (then (return (i32.const 0))))
    (if (f64.ge (f64.mul (f64.convert_i32_s (local.get $D)) (local.get $X)) (f64.convert_i32_s (i32.add (local.get $C) (i32.const 2))))
      (then (return (i32.const 0))))
    (local.set $row (i32.add (local.get $mom) (i32.shl (i32.mul (local.get $hb) (local.get $C)) (i32.const 3))))
    (local.set $pw (f64.const 1))
    (local.set $c (i32.const 1))
    (block $b0 (loop $l0
      (br_if $b0 (i32.gt_s (local.get $c) (local.get $C)))
      (local.set $pw (f64.mul (local.get $pw) (local.get $X)))
      (br_if $b0 (f64.lt (local.get $pw) (f64.const 1e-250)))
      (f64.store (i32.add (local.get $y) (i32.shl (local.get $c) (i32.const 3)))
        (f64.mul (local.get $pw) (f64.load (i32.add (local.get $row) (i32.shl (i32.sub (local.get $c) (i32.const 1)) (i32.const 3))))))
      (local.set $top (local.get $c))
      (local.set $c (i32.add (local.get $c) (i32.const 1)))
      (br $l0)))
    (if (i32.ge_s (local.get $top) (i32.const 1)) (then (local.set $y1 (f64.load offset=8 (local.get $y)))))
    (if (f64.gt (local.get $y1) (f64.const 700)) (then (return (i32.const 0))))
    ;; rho_m's X^{C+1-m}, from m = D down
    (local.set $xp (f64.const 1))
    (local.set $c (i32.const 0))
    (block $b1 (loop $l1
      (br_if $b1 (i32.ge_s (local.get $c) (i32.sub (i32.add (local.get $C) (i32.const 1)) (local.get $D))))
      (br_if $b1 (i32.eqz (f64.gt (local.get $xp) (f64.const 0))))
      (local.set $xp (f64.mul (local.get $xp) (local.get $X)))
      (if (f64.lt (local.get $xp) (f64.const 1e-250)) (then (local.set $xp (f64.const 0))))
      (local.set $c (i32.add (local.get $c) (i32.const 1)))
      (br $l1)))
    (local.set $xc (f64.mul (local.get $X) (f64.load (i32.add (local.get $recip) (i32.shl (i32.add (local.get $C) (i32.const 2)) (i32.const 3))))))
    (local.set $m (local.get $D))
    (block $b2 (loop $l2
      (br_if $b2 (i32.lt_s (local.get $m) (i32.const 1)))
      (local.set $s (f64.const 0))
      (local.set $lo (i32.add (local.get $coef) (i32.shl (i32.mul (local.get $m) (i32.add (local.get $cm) (i32.const 1))) (i32.const 3))))
      (local.set $c (local.get $m))
      (block $b3 (loop $l3
        (br_if $b3 (i32.gt_s (local.get $c) (local.get $top)))
        (local.set $s (f64.add (local.get $s) (f64.mul
          (f64.load (i32.add (local.get $lo) (i32.shl (local.get $c) (i32.const 3))))
          (f64.load (i32.add (local.get $y) (i32.shl (local.get $c) (i32.const 3)))))))
        (local.set $c (i32.add (local.get $c) (i32.const 1)))
        (br $l3)))
      (f64.store (i32.add (local.get $lam) (i32.shl (local.get $m) (i32.const 3))) (local.get $s))
      (local.set $ym (f64.const 0))
      (if (i32.le_s (local.get $m) (local.get $top))
        (then (local.set $ym (f64.load (i32.add (local.get $y) (i32.shl (local.get $m) (i32.const 3)))))))
      (f64.store (i32.add (local.get $dlam) (i32.shl (local.get $m) (i32.const 3)))
        (if (result f64) (f64.gt (local.get $xp) (f64.const 0))
          (then (f64.div
            (f64.mul (f64.mul (f64.mul (local.get $ym) (f64.load (i32.add (local.get $recip) (i32.shl (local.get $m) (i32.const 3)))))
              (f64.load (i32.add (local.get $mpow) (i32.shl (local.get $m) (i32.const 3))))) (local.get $xp))
            (f64.sub (f64.const 1) (f64.mul (f64.convert_i32_s (local.get $m)) (local.get $xc)))))
          (else (f64.const 0))))
      (local.set $xp (f64.mul (local.get $xp) (local.get $X)))
      (if (f64.lt (local.get $xp) (f64.const 1e-250)) (then (local.set $xp (f64.const 0))))
      (local.set $m (i32.sub (local.get $m) (i32.const 1)))
      (br $l2)))
    (f64.store (local.get $out) (call $exp (f64.neg (local.get $y1))))
    (f64.store (local.get $err) (f64.mul (f64.const 1.1102230246251565e-16) (f64.add (f64.const 2) (local.get $y1))))
    (if (f64.lt (f64.load (local.get $out)) (f64.const 1e-20)) (then (return (i32.const 0))))
    (local.set $m (i32.const 1))
    (block $b4 (loop $l4
      (br_if $b4 (i32.gt_s (local.get $m) (local.get $D)))
      (local.set $lo (i32.shl (local.get $m) (i32.const 3)))
      (local.set $l (f64.mul (f64.convert_i32_s (local.get $m)) (f64.load (i32.add (local.get $lam) (local.get $lo)))))
      (f64.store (i32.add (local.get $ml) (local.get $lo)) (local.get $l))
      (f64.store (i32.add (local.get $mal) (local.get $lo)) (f64.abs (local.get $l)))
      (f64.store (i32.add (local.get $mdl) (local.get $lo))
        (f64.mul (f64.convert_i32_s (local.get $m)) (f64.load (i32.add (local.get $dlam) (local.get $lo)))))
      (local.set $m (i32.add (local.get $m) (i32.const 1)))
      (br $l4)))
    (local.set $d (i32.const 1))
    (block $b5 (loop $l5
      (br_if $b5 (i32.gt_s (local.get $d) (local.get $D)))
      (local.set $v (f64.const 0))
      (local.set $a (f64.const 0))
      (local.set $e (f64.const 0))
      (local.set $m (i32.const 1))
      (block $b6 (loop $l6
        (br_if $b6 (i32.gt_s (local.get $m) (local.get $d)))
        (local.set $lo (i32.shl (local.get $m) (i32.const 3)))
        (local.set $c (i32.shl (i32.sub (local.get $d) (local.get $m)) (i32.const 3)))
        (local.set $pm (f64.load (i32.add (local.get $out) (local.get $c))))
        (local.set $v (f64.add (local.get $v) (f64.mul (f64.load (i32.add (local.get $ml) (local.get $lo))) (local.get $pm))))
        (local.set $al (f64.mul (f64.load (i32.add (local.get $mal) (local.get $lo))) (local.get $pm)))
        (local.set $a (f64.add (local.get $a) (local.get $al)))
        (local.set $e (f64.add (local.get $e) (f64.add
          (f64.mul (f64.load (i32.add (local.get $mdl) (local.get $lo))) (local.get $pm))
          (f64.mul (local.get $al) (f64.load (i32.add (local.get $err) (local.get $c)))))))
        (local.set $m (i32.add (local.get $m) (i32.const 1)))
        (br $l6)))
      (local.set $invD (f64.load (i32.add (local.get $recip) (i32.shl (local.get $d) (i32.const 3)))))
      (local.set $v (f64.mul (local.get $v) (local.get $invD)))
      (local.set $abs (f64.mul (f64.add (local.get $e)
        (f64.mul (f64.mul (f64.convert_i32_s (i32.shl (i32.add (local.get $d) (i32.const 1)) (i32.const 2))) (f64.const 1.1102230246251565e-16))
          (local.get $a))) (local.get $invD)))
      (local.set $lo (i32.shl (local.get $d) (i32.const 3)))
      (if (f64.lt (local.get $v) (f64.const 1e-20))
        (then
          (if (f64.gt (local.get $abs) (f64.const 1e-20)) (then (return (i32.const 0))))
          (f64.store (i32.add (local.get $out) (local.get $lo)) (f64.const 0))
          (f64.store (i32.add (local.get $err) (local.get $lo)) (f64.const 0)))
        (else
          (local.set $rel (f64.div (local.get $abs) (local.get $v)))
          (if (f64.gt (local.get $rel) (local.get $tol)) (then (return (i32.const 0))))
          (f64.store (i32.add (local.get $out) (local.get $lo)) (local.get $v))
          (f64.store (i32.add (local.get $err) (local.get $lo)) (local.get $rel))))
      (local.set $d (i32.add (local.get $d) (i32.const 1)))
      (br $l5)))
    (i32.const 1))

  ;; rows[to .. to + top] = rows[from .. from + top] * (q + p z), each coefficient below 1e-100 taken as 0
  ;; (rowTimesFactor in poisson-binomial.ts); q and p already flushed. Byte offsets.
  (func $rowTimesFactor (param $from i32) (param $to i32) (param $top i32) (param $q f64) (param $p f64)
    (local $prev f64) (local $cur f64) (local $v f64) (local $d i32) (local $o i32)
    (local.set $prev (f64.load (local.get $from)))
    (local.set $v (f64.mul (local.get $prev) (local.get $q)))
    (f64.store (local.get $to) (select (f64.const 0) (local.get $v) (f64.lt (local.get $v) (f64.const 1e-100))))
    (local.set $d (i32.const 1))
    (block $b (loop $l
      (br_if $b (i32.gt_s (local.get $d) (local.get $top)))
      (local.set $o (i32.shl (local.get $d) (i32.const 3)))
      (local.set $cur (f64.load (i32.add (local.get $from) (local.get $o))))
      (local.set $v (f64.add (f64.mul (local.get $cur) (local.get $q)) (f64.mul (local.get $prev) (local.get $p))))
      (f64.store (i32.add (local.get $to) (local.get $o)) (select (f64.const 0) (local.get $v) (f64.lt (local.get $v) (f64.const 1e-100))))
      (local.set $prev (local.get $cur))
      (local.set $d (i32.add (local.get $d) (i32.const 1)))
      (br $l))))

  (func $flush (param $x f64) (result f64)
    (select (f64.const 0) (local.get $x) (f64.lt (local.get $x) (f64.const 1e-100))))

  ;; PrefixSuffix.build and .without (poisson-binomial.ts) for the integral's m query factors (q, p: f64 at $q, $p):
  ;; prefix rows base * f_0 ... f_{a-1} at $pre and suffix rows f_a ... f_{m-1} at $suf (stride D + 1 f64; suffix
  ;; row b kept up to degree rowTop[b] = max_{a<b} need[a], i32 at $rowTop), then out[a (D + 1) + d] = P(exactly d
  ;; of the base events and the queries other than a) for d = need[a] (need: i32 at $need), or for every d <= need[a]
  ;; when $every is 1.
  (func (export "leaveOneOut") (param $base i32) (param $D i32) (param $q i32) (param $p i32) (param $m i32)
    (param $need i32) (param $pre i32) (param $suf i32) (param $rowTop i32) (param $out i32) (param $every i32)
    (local $stride i32) (local $a i32) (local $d i32) (local $b i32) (local $top i32) (local $x i32) (local $s f64)
    (local $pa i32) (local $sa i32) (local $na i32)
    (local.set $stride (i32.shl (i32.add (local.get $D) (i32.const 1)) (i32.const 3)))
    (memory.copy (local.get $pre) (local.get $base) (local.get $stride))
    (block $b0 (loop $l0
      (br_if $b0 (i32.ge_s (i32.add (local.get $a) (i32.const 1)) (local.get $m)))
      (call $rowTimesFactor
        (i32.add (local.get $pre) (i32.mul (local.get $a) (local.get $stride)))
        (i32.add (local.get $pre) (i32.mul (i32.add (local.get $a) (i32.const 1)) (local.get $stride)))
        (local.get $D)
        (call $flush (f64.load (i32.add (local.get $q) (i32.shl (local.get $a) (i32.const 3)))))
        (call $flush (f64.load (i32.add (local.get $p) (i32.shl (local.get $a) (i32.const 3))))))
      (local.set $a (i32.add (local.get $a) (i32.const 1)))
      (br $l0)))
    ;; rowTop
    (i32.store (local.get $rowTop) (i32.const 0))
    (local.set $b (i32.const 1))
    (block $b1 (loop $l1
      (br_if $b1 (i32.gt_s (local.get $b) (local.get $m)))
      (local.set $top (i32.load (i32.add (local.get $rowTop) (i32.shl (i32.sub (local.get $b) (i32.const 1)) (i32.const 2)))))
      (local.set $na (i32.load (i32.add (local.get $need) (i32.shl (i32.sub (local.get $b) (i32.const 1)) (i32.const 2)))))
      (if (i32.gt_s (local.get $na) (local.get $top)) (then (local.set $top (local.get $na))))
      (if (i32.gt_s (local.get $top) (local.get $D)) (then (local.set $top (local.get $D))))
      (i32.store (i32.add (local.get $rowTop) (i32.shl (local.get $b) (i32.const 2))) (local.get $top))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br $l1)))
    ;; suffix row m is the constant 1
    (local.set $sa (i32.add (local.get $suf) (i32.mul (local.get $m) (local.get $stride))))
    (f64.store (local.get $sa) (f64.const 1))
    (local.set $top (i32.load (i32.add (local.get $rowTop) (i32.shl (local.get $m) (i32.const 2)))))
    (local.set $d (i32.const 1))
    (block $b2 (loop $l2
      (br_if $b2 (i32.gt_s (local.get $d) (local.get $top)))
      (f64.store (i32.add (local.get $sa) (i32.shl (local.get $d) (i32.const 3))) (f64.const 0))
      (local.set $d (i32.add (local.get $d) (i32.const 1)))
      (br $l2)))
    (local.set $a (i32.sub (local.get $m) (i32.const 1)))
    (block $b3 (loop $l3
      (br_if $b3 (i32.lt_s (local.get $a) (i32.const 0)))
      (call $rowTimesFactor
        (i32.add (local.get $suf) (i32.mul (i32.add (local.get $a) (i32.const 1)) (local.get $stride)))
        (i32.add (local.get $suf) (i32.mul (local.get $a) (local.get $stride)))
        (i32.load (i32.add (local.get $rowTop) (i32.shl (local.get $a) (i32.const 2))))
        (call $flush (f64.load (i32.add (local.get $q) (i32.shl (local.get $a) (i32.const 3)))))
        (call $flush (f64.load (i32.add (local.get $p) (i32.shl (local.get $a) (i32.const 3))))))
      (local.set $a (i32.sub (local.get $a) (i32.const 1)))
      (br $l3)))
    ;; out[a][d] = sum_x pre[a][x] suf[a + 1][d - x] (coefficientOfProduct)
    (local.set $a (i32.const 0))
    (block $b4 (loop $l4
      (br_if $b4 (i32.ge_s (local.get $a) (local.get $m)))
      (local.set $pa (i32.add (local.get $pre) (i32.mul (local.get $a) (local.get $stride))))
      (local.set $sa (i32.add (local.get $suf) (i32.mul (i32.add (local.get $a) (i32.const 1)) (local.get $stride))))
      (local.set $na (i32.load (i32.add (local.get $need) (i32.shl (local.get $a) (i32.const 2)))))
      (local.set $d (select (i32.const 0) (local.get $na) (local.get $every)))
      (block $b5 (loop $l5
        (br_if $b5 (i32.gt_s (local.get $d) (local.get $na)))
        (local.set $s (f64.const 0))
        (local.set $x (i32.const 0))
        (block $b6 (loop $l6
          (br_if $b6 (i32.gt_s (local.get $x) (local.get $d)))
          (local.set $s (f64.add (local.get $s) (f64.mul
            (f64.load (i32.add (local.get $pa) (i32.shl (local.get $x) (i32.const 3))))
            (f64.load (i32.add (local.get $sa) (i32.shl (i32.sub (local.get $d) (local.get $x)) (i32.const 3)))))))
          (local.set $x (i32.add (local.get $x) (i32.const 1)))
          (br $l6)))
        (f64.store (i32.add (i32.add (local.get $out) (i32.mul (local.get $a) (local.get $stride))) (i32.shl (local.get $d) (i32.const 3)))
          (local.get $s))
        (local.set $d (i32.add (local.get $d) (i32.const 1)))
        (br $l5)))
      (local.set $a (i32.add (local.get $a) (i32.const 1)))
      (br $l4))))
)
