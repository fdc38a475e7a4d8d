# fill.sh: every data type Redis 7.0 saves, through redis-cli ($C).
set -e
$C flushall >/dev/null
$C set int 12345 >/dev/null
$C set neg -7 >/dev/null
$C set raw "hello world" >/dev/null
$C set lzf "$(printf 'abcabcabc%.0s' $(seq 1 200))" >/dev/null
$C set ttl "expires" >/dev/null
$C pexpire ttl 86400000 >/dev/null
$C rpush lsmall a b c 1 2 >/dev/null
seq 1 3000 | sed 's/^/element-/' | xargs $C rpush lbig >/dev/null
$C sadd sint 1 2 3 100000 >/dev/null
$C sadd sstr apple banana cherry >/dev/null
seq 1 600 | sed 's/^/member-/' | xargs $C sadd sbig >/dev/null
$C zadd zsmall 1 one 2.5 two -3 three >/dev/null
seq 1 300 | awk '{print $1*1.5, "zm-" $1}' | xargs $C zadd zbig >/dev/null
$C hset hsmall lpmarker value1 f2 22 f3 "x y z" >/dev/null
seq 1 600 | awk '{print "hf-" $1, "hv-" $1}' | xargs $C hset hbig >/dev/null
$C hset hlongval f "$(head -c 100 /dev/zero | tr '\0' v)" >/dev/null
$C xadd st '*' name alice age 30 >/dev/null
$C xadd st '*' name bob age 25 >/dev/null
$C xadd st '*' other field >/dev/null
$C xgroup create st g1 0 >/dev/null
$C xreadgroup group g1 c1 count 2 streams st '>' >/dev/null
$C xgroup create st g2 '$' >/dev/null
$C xadd stempty '*' a 1 >/dev/null
$C xtrim stempty maxlen 0 >/dev/null
$C function load "#!lua name=mylib
redis.register_function('myfunc', function(keys, args) return 1 end)" >/dev/null
$C select 3 >/dev/null
$C -n 3 set indb3 yes >/dev/null
$C -n 3 expire indb3 3600 >/dev/null
