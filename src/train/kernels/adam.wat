;; Adam's elementwise step in float32, four lanes at a time (wasm SIMD128; no FMA, so every
;; lane and the scalar tail round exactly alike and a range gives the same bits wherever it is
;; split). Memory holds one chunk: k gradient rows `stride` floats apart from byte $g on, and
;; p, m, v (n floats each, at their byte offsets), updated in place:
;;   g  = (g_0 + g_1 + ... + g_{k-1}) * scale      (summed in row order, rounded each time)
;;   m' = m + (g - m) * c1
;;   v' = v + (g*g - v) * c2
;;   p' = p - alpha * m' / (sqrt(v') + eps)
;; and returns 1 when every g was finite, 0 otherwise (g·0 is 0 for a finite g, NaN for NaN or
;; ±Infinity, so their sum is 0 exactly when all are): the step's gradient check rides along.
(module
  (memory (export "memory") 1)
  (func (export "adam")
    (param $n i32) (param $k i32) (param $stride i32) (param $g i32) (param $p i32) (param $m i32) (param $v i32)
    (param $scale f32) (param $alpha f32) (param $c1 f32) (param $c2 f32) (param $eps f32)
    (result i32)
    (local $i i32) (local $j i32) (local $at i32) (local $end4 i32) (local $rowBytes i32)
    (local $gv v128) (local $mi v128) (local $vi v128)
    (local $gs f32) (local $ms f32) (local $vs f32)
    (local $check v128) (local $checks f32)
    (local.set $rowBytes (i32.shl (local.get $stride) (i32.const 2)))
    (local.set $end4 (i32.and (local.get $n) (i32.const -4)))
    ;; four lanes
    (block $done4
      (loop $lanes
        (br_if $done4 (i32.ge_u (local.get $i) (local.get $end4)))
        (local.set $at (i32.shl (local.get $i) (i32.const 2)))
        (local.set $gv (v128.load (i32.add (local.get $g) (local.get $at))))
        (local.set $j (i32.const 1))
        (block $summed
          (loop $rows
            (br_if $summed (i32.ge_u (local.get $j) (local.get $k)))
            (local.set $gv (f32x4.add (local.get $gv)
              (v128.load (i32.add (i32.add (local.get $g) (local.get $at)) (i32.mul (local.get $j) (local.get $rowBytes))))))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $rows)))
        (local.set $gv (f32x4.mul (local.get $gv) (f32x4.splat (local.get $scale))))
        (local.set $check (f32x4.add (local.get $check) (f32x4.mul (local.get $gv) (f32x4.splat (f32.const 0)))))
        (local.set $mi (v128.load (i32.add (local.get $m) (local.get $at))))
        (local.set $mi (f32x4.add (local.get $mi)
          (f32x4.mul (f32x4.sub (local.get $gv) (local.get $mi)) (f32x4.splat (local.get $c1)))))
        (local.set $vi (v128.load (i32.add (local.get $v) (local.get $at))))
        (local.set $vi (f32x4.add (local.get $vi)
          (f32x4.mul (f32x4.sub (f32x4.mul (local.get $gv) (local.get $gv)) (local.get $vi)) (f32x4.splat (local.get $c2)))))
        (v128.store (i32.add (local.get $m) (local.get $at)) (local.get $mi))
        (v128.store (i32.add (local.get $v) (local.get $at)) (local.get $vi))
        (v128.store (i32.add (local.get $p) (local.get $at))
          (f32x4.sub (v128.load (i32.add (local.get $p) (local.get $at)))
            (f32x4.div (f32x4.mul (f32x4.splat (local.get $alpha)) (local.get $mi))
              (f32x4.add (f32x4.sqrt (local.get $vi)) (f32x4.splat (local.get $eps))))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $lanes)))
    ;; the tail, one element at a time, the same operations in the same order
    (block $done
      (loop $tail
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $at (i32.shl (local.get $i) (i32.const 2)))
        (local.set $gs (f32.load (i32.add (local.get $g) (local.get $at))))
        (local.set $j (i32.const 1))
        (block $summed1
          (loop $rows1
            (br_if $summed1 (i32.ge_u (local.get $j) (local.get $k)))
            (local.set $gs (f32.add (local.get $gs)
              (f32.load (i32.add (i32.add (local.get $g) (local.get $at)) (i32.mul (local.get $j) (local.get $rowBytes))))))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $rows1)))
        (local.set $gs (f32.mul (local.get $gs) (local.get $scale)))
        (local.set $checks (f32.add (local.get $checks) (f32.mul (local.get $gs) (f32.const 0))))
        (local.set $ms (f32.load (i32.add (local.get $m) (local.get $at))))
        (local.set $ms (f32.add (local.get $ms) (f32.mul (f32.sub (local.get $gs) (local.get $ms)) (local.get $c1))))
        (local.set $vs (f32.load (i32.add (local.get $v) (local.get $at))))
        (local.set $vs (f32.add (local.get $vs)
          (f32.mul (f32.sub (f32.mul (local.get $gs) (local.get $gs)) (local.get $vs)) (local.get $c2))))
        (f32.store (i32.add (local.get $m) (local.get $at)) (local.get $ms))
        (f32.store (i32.add (local.get $v) (local.get $at)) (local.get $vs))
        (f32.store (i32.add (local.get $p) (local.get $at))
          (f32.sub (f32.load (i32.add (local.get $p) (local.get $at)))
            (f32.div (f32.mul (local.get $alpha) (local.get $ms))
              (f32.add (f32.sqrt (local.get $vs)) (local.get $eps)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $tail)))
    (i32.and
      (i32x4.all_true (f32x4.eq (local.get $check) (f32x4.splat (f32.const 0))))
      (f32.eq (local.get $checks) (f32.const 0)))))
