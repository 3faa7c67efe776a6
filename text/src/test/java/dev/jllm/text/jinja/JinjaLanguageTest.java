package dev.jllm.text.jinja;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jllm.text.jinja.TemplateException.Kind;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.time.LocalDateTime;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One case per language feature. Every expected value was produced by Python Jinja2 3.1 configured exactly as
 * transformers configures it (ImmutableSandboxedEnvironment, trim_blocks, lstrip_blocks, loopcontrols,
 * {@code {% generation %}}, json.dumps-based tojson, raise_exception); errors list the exception Python raised.
 */
class JinjaLanguageTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final RenderSettings SETTINGS = RenderSettings.DEFAULT.withFixedClock(LocalDateTime.of(2025, 1, 15, 10, 30));

    private record Case(String name, String template, String context, String expected, Kind errorKind, String errorMessage) {}

    private static Case ok(String name, String template, String context, String expected) {
        return new Case(name, template, context, expected, null, null);
    }

    private static Case fails(String name, String template, String context, Kind kind, String message) {
        return new Case(name, template, context, null, kind, message);
    }

    private static final List<Case> CASES = List.of(
            ok("trim_blocks", "{% if true %}\nyes\n{% endif %}\nafter", "{}", "yes\nafter"),
            ok("lstrip_blocks", "a\n    {% if true %}\n    b\n    {% endif %}\nc", "{}", "a\n    b\nc"),
            ok("lstrip_not_after_text", "x {% if true %}y{% endif %}", "{}", "x y"),
            ok("minus_left", "a   \n  {%- if true %}b{% endif %}", "{}", "ab"),
            ok("minus_right", "{% if true -%}   \n  b{% endif %}", "{}", "b"),
            ok("var_minus", "a  {{- 'b' -}}  c", "{}", "abc"),
            ok("plus_disables_lstrip", "a\n    {%+ if true %}b{% endif %}", "{}", "a\n    b"),
            ok("comment_trim", "a\n  {# note #}\nb", "{}", "a\nb"),
            ok("comment_minus", "a  {#- note -#}  b", "{}", "ab"),
            ok("raw", "{% raw %}{{ not evaluated }}{% endraw %}", "{}", "{{ not evaluated }}"),
            ok("trailing_newline_dropped", "abc\n", "{}", "abc"),
            ok("crlf_normalized", "a\r\nb", "{}", "a\nb"),
            ok("if_elif_else", "{% for x in [1,2,3] %}{% if x == 1 %}one{% elif x == 2 %}two{% else %}many{% endif %},{% endfor %}", "{}", "one,two,many,"),
            ok("for_else_empty", "{% for x in [] %}{{ x }}{% else %}empty{% endfor %}", "{}", "empty"),
            ok("loop_vars", "{% for x in 'abc' %}{{ loop.index }}{{ loop.index0 }}{{ loop.revindex }}{{ loop.revindex0 }}{{ loop.first }}{{ loop.last }}{{ loop.length }};{% endfor %}", "{}", "1032TrueFalse3;2121FalseFalse3;3210FalseTrue3;"),
            ok("loop_prev_next", "{% for x in [1,2,3] %}{{ loop.previtem }}-{{ loop.nextitem }};{% endfor %}", "{}", "-2;1-3;2-;"),
            ok("loop_cycle", "{% for x in range(5) %}{{ loop.cycle('a','b') }}{% endfor %}", "{}", "ababa"),
            ok("loop_filter", "{% for x in range(10) if x is odd %}{{ x }}{{ loop.length }} {% endfor %}", "{}", "15 35 55 75 95 "),
            ok("break_continue", "{% for x in range(10) %}{% if x == 2 %}{% continue %}{% endif %}{% if x == 5 %}{% break %}{% endif %}{{ x }}{% endfor %}", "{}", "0134"),
            ok("for_unpack", "{% for k, v in {'a': 1, 'b': 2}.items() %}{{ k }}={{ v }};{% endfor %}", "{}", "a=1;b=2;"),
            ok("for_dict_keys", "{% for k in {'x': 1, 'y': 2} %}{{ k }}{% endfor %}", "{}", "xy"),
            ok("for_scope", "{% set x = 1 %}{% for i in [1,2] %}{{ x }}{% set x = 2 %}{{ x }}{% endfor %}{{ x }}", "{}", "12121"),
            ok("loop_recursive", "{% for n in tree recursive %}{{ n.name }}{% if n.children %}({{ loop(n.children) }}){% endif %}{% endfor %}", "{\"tree\": [{\"name\": \"a\", \"children\": [{\"name\": \"b\", \"children\": []}, {\"name\": \"c\"}]}]}", "a(bc)"),
            ok("loop_depth", "{% for n in tree recursive %}{{ loop.depth }}{% if n.children %}{{ loop(n.children) }}{% endif %}{% endfor %}", "{\"tree\": [{\"children\": [{\"children\": [{}]}]}]}", "123"),
            ok("nested_loop_outer", "{% for a in [1,2] %}{% set outer = loop %}{% for b in [1,2] %}{{ outer.index }}{{ loop.index }} {% endfor %}{% endfor %}", "{}", "11 12 21 22 "),
            ok("set_tuple", "{% set a, b = 1, 2 %}{{ a }}{{ b }}", "{}", "12"),
            ok("set_block", "{% set x %}  hello {{ 1 + 1 }} {% endset %}[{{ x }}]", "{}", "[  hello 2 ]"),
            ok("set_block_filter", "{% set x | upper | trim %}  hello  {% endset %}[{{ x }}]", "{}", "[HELLO]"),
            ok("namespace", "{% set ns = namespace(found=false, n=0) %}{% for x in [1,2,3] %}{% set ns.n = ns.n + x %}{% if x == 2 %}{% set ns.found = true %}{% endif %}{% endfor %}{{ ns.found }} {{ ns.n }}", "{}", "True 6"),
            ok("namespace_dict_arg", "{% set ns = namespace({'a': 1}, b=2) %}{{ ns.a }}{{ ns.b }}", "{}", "12"),
            ok("macro_defaults", "{% macro greet(name, greeting='Hello') %}{{ greeting }}, {{ name }}!{% endmacro %}{{ greet('Bob') }} {{ greet('Al', greeting='Hi') }}", "{}", "Hello, Bob! Hi, Al!"),
            ok("macro_varargs_kwargs", "{% macro f(a) %}{{ a }}{{ varargs }}{{ kwargs }}{% endmacro %}{{ f(1, 2, 3, x=4) }}", "{}", "1(2, 3){'x': 4}"),
            ok("macro_recursion", "{% macro fact(n) %}{% if n <= 1 %}1{% else %}{{ n * fact(n - 1)|int }}{% endif %}{% endmacro %}{{ fact(5) }}", "{}", "120"),
            ok("macro_missing_arg", "{% macro f(a, b) %}[{{ a }}][{{ b }}]{% endmacro %}{{ f(1) }}", "{}", "[1][]"),
            ok("call_block", "{% macro wrap() %}<{{ caller() }}>{% endmacro %}{% call wrap() %}inner{% endcall %}", "{}", "<inner>"),
            ok("call_block_args", "{% macro each(xs) %}{% for x in xs %}{{ caller(x) }}{% endfor %}{% endmacro %}{% call(v) each([1,2]) %}[{{ v }}]{% endcall %}", "{}", "[1][2]"),
            ok("filter_block", "{% filter upper %}abc{{ 'd' }}{% endfilter %}", "{}", "ABCD"),
            ok("with_block", "{% with a = 1, b = 2 %}{{ a + b }}{% endwith %}{{ a }}", "{}", "3"),
            ok("arith_int", "{{ 7 + 3 }} {{ 7 - 10 }} {{ 7 * 3 }} {{ 7 / 2 }} {{ 7 // 2 }} {{ -7 // 2 }} {{ 7 % 3 }} {{ -7 % 3 }} {{ 2 ** 10 }} {{ 2 ** -1 }}", "{}", "10 -3 21 3.5 3 -4 1 2 1024 0.5"),
            ok("arith_float", "{{ 0.1 + 0.2 }} {{ 1.5 * 2 }} {{ 1e16 }} {{ 1e15 }} {{ 1e-5 }} {{ 0.0001 }} {{ 3.0 }} {{ -0.0 }} {{ 2.5 // 1 }} {{ -7.5 % 2 }}", "{}", "0.30000000000000004 3.0 1e+16 1000000000000000.0 1e-05 0.0001 3.0 -0.0 2.0 0.5"),
            ok("big_int", "{{ 2 ** 100 }} {{ 12345678901234567890 * 98765432109876543210 }}", "{}", "1267650600228229401496703205376 1219326311370217952237463801111263526900"),
            ok("pow_left_assoc", "{{ 2 ** 3 ** 2 }}", "{}", "64"),
            ok("unary_filter_precedence", "{{ -3|abs }} {{ -(3|abs) }}", "{}", "3 -3"),
            ok("concat_tilde", "{{ 'a' ~ 1 ~ 1.5 ~ none ~ true ~ [1, 'x'] ~ undefined_var }}", "{}", "a11.5NoneTrue[1, 'x']"),
            ok("string_plus", "{{ 'a' + 'b' }}", "{}", "ab"),
            ok("string_times", "{{ 'ab' * 3 }}{{ 3 * 'x' }}{{ [1] * 2 }}", "{}", "abababxxx[1, 1]"),
            ok("comparisons", "{{ 1 < 2 < 3 }} {{ 1 < 3 < 2 }} {{ 'a' < 'b' }} {{ [1,2] < [1,3] }} {{ 1 == 1.0 }} {{ true == 1 }} {{ 'a' != 'b' }}", "{}", "True False True True True True True"),
            ok("in_operator", "{{ 'a' in 'cat' }} {{ 2 in [1,2] }} {{ 'k' in {'k': 1} }} {{ 3 not in [1] }}", "{}", "True True True True"),
            ok("and_or_values", "{{ 0 or 'x' }} {{ 'a' and 'b' }} {{ '' and 'b' }} {{ none or [] }}", "{}", "x b  []"),
            ok("not", "{{ not 0 }} {{ not 'a' }} {{ not [] }}", "{}", "True False True"),
            ok("conditional_expr", "{{ 'y' if 1 else 'n' }} {{ 'y' if 0 else 'n' }} [{{ 'y' if 0 }}]", "{}", "y n []"),
            ok("truthiness", "{% for v in [0, 1, '', 'a', [], [0], {}, {'a':1}, none, 0.0] %}{{ 'T' if v else 'F' }}{% endfor %}", "{}", "FTFTFTFTFF"),
            ok("list_dict_literals", "{{ [1, 'a', [2]] }} {{ {'a': 1, 'b': [1, 2]} }} {{ (1, 2) }} {{ (1,) }} {{ () }}", "{}", "[1, 'a', [2]] {'a': 1, 'b': [1, 2]} (1, 2) (1,) ()"),
            ok("repr_quotes", "{{ [\"it's\", 'say \"hi\"', 'both \\' \"', 'nl\\n', 'tab\\t', 'back\\\\slash'] }}", "{}", "[\"it's\", 'say \"hi\"', 'both \\' \"', 'nl\\n', 'tab\\t', 'back\\\\slash']"),
            ok("repr_unicode", "{{ ['héllo', '日本', '\\x00', '\\u200b'] }}", "{}", "['héllo', '日本', '\\x00', '\\u200b']"),
            ok("dict_str_nested", "{{ {'a': {'b': none, 'c': true, 'd': 1.0}} }}", "{}", "{'a': {'b': None, 'c': True, 'd': 1.0}}"),
            ok("attr_vs_item", "{{ d.a }} {{ d['a'] }} {{ d['items'] }} {{ d.items()|list|length }}", "{\"d\": {\"a\": 1, \"items\": 2}}", "1 1 2 2"),
            ok("missing_attr_prints_empty", "[{{ d.nope }}][{{ d['nope'] }}][{{ l[10] }}]", "{\"d\": {}, \"l\": [1]}", "[][][]"),
            ok("slicing", "{{ 'abcdef'[1:3] }} {{ 'abcdef'[::-1] }} {{ 'abcdef'[::2] }} {{ [1,2,3,4][-2:] }} {{ [1,2,3,4][:-1] }} {{ [1,2,3,4][::-2] }} {{ 'abc'[5:] }}", "{}", "bc fedcba ace [3, 4] [1, 2, 3] [4, 2] "),
            ok("negative_index", "{{ [1,2,3][-1] }} {{ 'xyz'[-2] }}", "{}", "3 y"),
            ok("messages_reversed", "{% for m in messages[::-1] %}{{ m.role }}{% endfor %}", "{\"messages\": [{\"role\": \"a\"}, {\"role\": \"b\"}, {\"role\": \"c\"}]}", "cba"),
            ok("string_escapes", "{{ 'a\\nb\\tc\\\\d\\x41\\u00e9' }}", "{}", "a\nb\tc\\dAé"),
            ok("adjacent_strings", "{{ 'a' 'b' \"c\" }}", "{}", "abc"),
            ok("number_literals", "{{ 1_000 }} {{ 1.5e3 }} {{ 0.5 }}", "{}", "1000 1500.0 0.5"),
            ok("tests_basic", "{{ x is defined }} {{ y is undefined }} {{ none is none }} {{ 'a' is string }} {{ 1 is number }} {{ 1.5 is number }} {{ 1 is integer }} {{ 1.0 is integer }} {{ 1.0 is float }}", "{\"x\": 1}", "True True True True True True True False True"),
            ok("tests_containers", "{{ {} is mapping }} {{ [] is mapping }} {{ [] is iterable }} {{ 'a' is iterable }} {{ 1 is iterable }} {{ [] is sequence }} {{ 'a' is sequence }}", "{}", "True False True True False True True"),
            ok("tests_bool", "{{ true is boolean }} {{ 1 is boolean }} {{ true is true }} {{ false is false }} {{ 0 is false }}", "{}", "True False True True False"),
            ok("tests_numbers", "{{ 3 is odd }} {{ 4 is even }} {{ 9 is divisibleby 3 }} {{ 9 is divisibleby(2) }}", "{}", "True True True False"),
            ok("tests_compare", "{{ 2 is equalto 2 }} {{ 2 is eq 3 }} {{ 2 is ne 3 }} {{ 1 is lt 2 }} {{ 2 is ge 2 }} {{ 2 is in [1,2] }} {{ 'a' is sameas 'a' }} {{ none is sameas none }}", "{}", "True False True True True True True True"),
            ok("tests_not", "{{ x is not defined }} {{ 1 is not string }}", "{}", "True True"),
            ok("select_with_test", "{{ [1,2,3,4]|select('even')|list }} {{ [1,2,3,4]|reject('even')|list }} {{ [0,1,'',2]|select|list }} {{ [1,5,10]|select('gt', 3)|list }}", "{}", "[2, 4] [1, 3] [1, 2] [5, 10]"),
            ok("selectattr", "{{ users|selectattr('active')|map(attribute='name')|join(',') }} {{ users|rejectattr('active')|map(attribute='name')|list }} {{ users|selectattr('name', 'equalto', 'b')|list|length }}", "{\"users\": [{\"name\": \"a\", \"active\": true}, {\"name\": \"b\", \"active\": false}, {\"name\": \"c\", \"active\": true}]}", "a,c ['b'] 1"),
            ok("filter_length_count", "{{ 'héllo'|length }} {{ [1,2]|count }} {{ {'a':1}|length }} {{ undefined_x|length }}", "{}", "5 2 1 0"),
            ok("filter_trim", "[{{ '  a b  '|trim }}][{{ 'xxaxx'|trim('x') }}][{{ '\\n\\ta\\u00a0'|trim }}]", "{}", "[a b][a][a]"),
            ok("filter_case", "{{ 'aBc'|upper }} {{ 'aBc'|lower }} {{ 'hello wORLD-foo(bar)'|title }} {{ 'hELLO world'|capitalize }}", "{}", "ABC abc Hello World-Foo(Bar) Hello world"),
            ok("filter_replace", "{{ 'aaa'|replace('a', 'b') }} {{ 'aaa'|replace('a', 'b', 2) }} {{ 'abc'|replace('', '-') }}", "{}", "bbb bba -a-b-c-"),
            ok("filter_join", "{{ [1, 2, 3]|join }} {{ ['a', 'b']|join(', ') }} {{ [{'n': 1}, {'n': 2}]|join('|', attribute='n') }}", "{}", "123 a, b 1|2"),
            ok("filter_first_last", "{{ [1,2,3]|first }} {{ [1,2,3]|last }} {{ 'abc'|first }} [{{ []|first }}]", "{}", "1 3 a []"),
            ok("filter_list", "{{ 'ab'|list }} {{ {'a': 1}|list }} {{ (1, 2)|list }}", "{}", "['a', 'b'] ['a'] [1, 2]"),
            ok("filter_map", "{{ ['a', 'b']|map('upper')|list }} {{ [{'a': 1}, {}]|map(attribute='a', default=0)|list }} {{ ['1', '2']|map('int')|sum }}", "{}", "['A', 'B'] [1, 0] 3"),
            ok("filter_items", "{{ {'a': 1, 'b': 2}|items|list }} {% for k, v in {'x': 'y'}|items %}{{ k }}{{ v }}{% endfor %}", "{}", "[('a', 1), ('b', 2)] xy"),
            ok("filter_default", "{{ x|default('d') }} {{ ''|default('d') }} {{ ''|default('d', true) }} {{ none|default('d') }} {{ 0|d('z', boolean=true) }}", "{}", "d  d None z"),
            ok("filter_tojson", "{{ [1, 'a', none, true, 1.5, {'k': [1]}]|tojson }}", "{}", "[1, \"a\", null, true, 1.5, {\"k\": [1]}]"),
            ok("filter_tojson_unicode", "{{ {'name': 'héllo \"q\" \\\\ \\n 日本 <&>'}|tojson }}", "{}", "{\"name\": \"héllo \\\"q\\\" \\\\ \\n 日本 <&>\"}"),
            ok("filter_tojson_indent", "{{ {'a': 1, 'b': [1, 2], 'c': {}, 'd': []}|tojson(indent=2) }}", "{}", "{\n  \"a\": 1,\n  \"b\": [\n    1,\n    2\n  ],\n  \"c\": {},\n  \"d\": []\n}"),
            ok("filter_tojson_floats", "{{ [1.0, 0.1, 1e20, 1e-7, 100.0]|tojson }}", "{}", "[1.0, 0.1, 1e+20, 1e-07, 100.0]"),
            ok("filter_string", "{{ 1|string }} {{ [1, 'a']|string }} {{ none|string }} {{ 1.0|string ~ 'x' }}", "{}", "1 [1, 'a'] None 1.0x"),
            ok("filter_int_float", "{{ '42'|int }} {{ ' 7 '|int }} {{ '3.9'|int }} {{ 'x'|int }} {{ 'x'|int(5) }} {{ 3.99|int }} {{ '0x1A'|int(0, 16) }} {{ '2.5'|float }} {{ 'x'|float }} {{ 2|float }}", "{}", "42 7 3 0 5 3 26 2.5 0.0 2.0"),
            ok("filter_abs_round", "{{ -3|abs }} {{ -2.5|abs }} {{ 2.5|round }} {{ 3.5|round }} {{ 2.675|round(2) }} {{ 3.14159|round(2) }} {{ 3.1|round(0, 'ceil') }} {{ 3.9|round(0, 'floor') }} {{ 3|round }}", "{}", "3 2.5 2.0 4.0 2.67 3.14 4.0 3.0 3"),
            ok("filter_unique", "{{ ['a', 'A', 'b', 'a']|unique|list }} {{ ['a', 'A']|unique(case_sensitive=true)|list }} {{ [1, 2, 1]|unique|list }}", "{}", "['a', 'b'] ['a', 'A'] [1, 2]"),
            ok("filter_sort", "{{ [3, 1, 2]|sort }} {{ ['b', 'A', 'c']|sort }} {{ ['b', 'A', 'c']|sort(case_sensitive=true) }} {{ [3, 1]|sort(reverse=true) }} {{ [{'n': 2}, {'n': 1}]|sort(attribute='n')|map(attribute='n')|list }}", "{}", "[1, 2, 3] ['A', 'b', 'c'] ['A', 'b', 'c'] [3, 1] [1, 2]"),
            ok("filter_dictsort", "{{ {'b': 1, 'A': 2, 'c': 0}|dictsort }} {{ {'b': 1, 'a': 2}|dictsort(by='value') }} {{ {'b': 1, 'a': 2}|dictsort(reverse=true) }}", "{}", "[('A', 2), ('b', 1), ('c', 0)] [('b', 1), ('a', 2)] [('b', 1), ('a', 2)]"),
            ok("filter_indent", "[{{ 'a\\nb\\n\\nc'|indent }}][{{ 'a\\nb'|indent(2, true) }}][{{ 'a\\n\\nb'|indent(2, blank=true) }}][{{ 'a\\nb'|indent('> ') }}]", "{}", "[a\n    b\n\n    c][  a\n  b][a\n  \n  b][a\n> b]"),
            ok("filter_safe_escape", "{{ '<b>'|safe }} {{ '<a href=\"x\">&\\'</a>'|e }} {{ '<'|escape }}", "{}", "<b> &lt;a href=&#34;x&#34;&gt;&amp;&#39;&lt;/a&gt; &lt;"),
            ok("filter_min_max_sum", "{{ [3, 1, 2]|min }} {{ [3, 1, 2]|max }} {{ ['b', 'A']|max }} {{ [1, 2, 3]|sum }} {{ [{'v': 1}, {'v': 2}]|sum(attribute='v') }}", "{}", "1 3 b 6 3"),
            ok("filter_reverse_batch", "{{ 'abc'|reverse }} {{ [1, 2, 3]|reverse|list }} {{ [1, 2, 3, 4, 5]|batch(2)|list }} {{ [1, 2, 3]|batch(2, 0)|list }}", "{}", "cba [3, 2, 1] [[1, 2], [3, 4], [5]] [[1, 2], [3, 0]]"),
            ok("filter_center_wordcount", "[{{ 'x'|center(5) }}] {{ 'hello big world'|wordcount }}", "{}", "[  x  ] 3"),
            ok("filter_format", "{{ '%s-%d-%.2f-%5s-%-4d|'|format('a', 3, 3.14159, 'x', 7) }} {{ '%r'|format('q') }}", "{}", "a-3-3.14-    x-7   | 'q'"),
            ok("percent_format", "{{ '%s and %s' % ('a', 'b') }} {{ '%d%%' % 50 }} {{ '%(x)s' % {'x': 1} }} {{ '%05.1f' % 3.14159 }} {{ '%x' % 255 }}", "{}", "a and b 50% 1 003.1 ff"),
            ok("method_strip", "[{{ '  a  '.strip() }}][{{ 'xxaxx'.strip('x') }}][{{ '\\n\\na'.lstrip('\\n') }}][{{ 'a  '.rstrip() }}][{{ '--a--'.lstrip('-') }}]", "{}", "[a][a][a][a][a--]"),
            ok("method_split", "{{ 'a b  c'.split() }} {{ 'a,b,,c'.split(',') }} {{ 'a,b,c'.split(',', 1) }} {{ '  a  b '.split(none, 1) }} {{ 'a,b,c'.rsplit(',', 1) }} {{ ''.split() }} {{ ''.split(',') }}", "{}", "['a', 'b', 'c'] ['a', 'b', '', 'c'] ['a', 'b,c'] ['a', 'b '] ['a,b', 'c'] [] ['']"),
            ok("method_startswith", "{{ 'hello'.startswith('he') }} {{ 'hello'.endswith('lo') }} {{ 'hello'.startswith(('x', 'h')) }} {{ 'hello'.startswith('l', 2) }}", "{}", "True True True True"),
            ok("method_case", "{{ 'aBc'.upper() }} {{ 'aBc'.lower() }} {{ \"hello world's\".title() }} {{ 'hELLO'.capitalize() }} {{ 'aB'.swapcase() }}", "{}", "ABC abc Hello World'S Hello Ab"),
            ok("method_replace_find", "{{ 'aaa'.replace('a', 'b', 2) }} {{ 'hello'.find('l') }} {{ 'hello'.rfind('l') }} {{ 'hello'.find('z') }} {{ 'hello'.count('l') }} {{ 'hello'.index('e') }}", "{}", "bba 2 3 -1 2 1"),
            ok("method_format", "{{ '{} + {} = {}'.format(1, 2, 3) }} {{ '{0}{1}{0}'.format('a', 'b') }} {{ '{name}!'.format(name='x') }} {{ '{:>5}|{:<3}|{:^5}|{:.2f}|{:05d}|{!r}'.format('a', 'b', 'c', 3.14159, 42, 'q') }} {{ '{{}}'.format() }}", "{}", "1 + 2 = 3 aba x!     a|b  |  c  |3.14|00042|'q' {}"),
            ok("method_join_misc", "{{ ', '.join(['a', 'b']) }} {{ 'ab'.center(6, '*') }} {{ 'ab'.ljust(4, '.') }} {{ 'ab'.rjust(4) }} {{ '42'.zfill(5) }} {{ '12'.isdigit() }} {{ 'ab'.isalpha() }} {{ ' '.isspace() }}", "{}", "a, b **ab** ab..   ab 00042 True True True"),
            ok("method_splitlines_partition", "{{ 'a\\nb\\r\\nc'.splitlines() }} {{ 'a=b=c'.partition('=') }} {{ 'a=b=c'.rpartition('=') }} {{ 'prefix-x'.removeprefix('prefix-') }}", "{}", "['a', 'b', 'c'] ('a', '=', 'b=c') ('a=b', '=', 'c') x"),
            ok("method_dict", "{{ d.keys()|list }} {{ d.values()|list }} {{ d.items()|list }} {{ d.get('a') }} {{ d.get('z') }} {{ d.get('z', 0) }}", "{\"d\": {\"a\": 1, \"b\": 2}}", "['a', 'b'] [1, 2] [('a', 1), ('b', 2)] 1 None 0"),
            ok("method_list", "{{ [1, 2, 2].count(2) }} {{ [1, 2, 3].index(2) }}", "{}", "2 1"),
            ok("range", "{{ range(3)|list }} {{ range(1, 4)|list }} {{ range(10, 0, -3)|list }} {{ range(0)|list }}", "{}", "[0, 1, 2] [1, 2, 3] [10, 7, 4, 1] []"),
            ok("dict_global", "{{ dict(a=1, b=2) }} {{ dict([('x', 1)]) }}", "{}", "{'a': 1, 'b': 2} {'x': 1}"),
            fails("raise_exception", "{{ raise_exception('boom') }}", "{}", Kind.TemplateError, "boom"),
            ok("joiner", "{% set comma = joiner(', ') %}{% for x in [1, 2, 3] %}{{ comma() }}{{ x }}{% endfor %}", "{}", "1, 2, 3"),
            ok("undefined_prints_empty", "[{{ nothing }}]{% for x in nothing %}x{% endfor %}{{ nothing|length }}{% if nothing %}y{% endif %}", "{}", "[]0"),
            fails("undefined_attr_error", "{{ nothing.attr }}", "{}", Kind.UndefinedError, "'nothing' is undefined"),
            fails("undefined_add_error", "{{ nothing + 1 }}", "{}", Kind.UndefinedError, "'nothing' is undefined"),
            ok("undefined_compare_eq", "{{ nothing == none }} {{ nothing == nothing2 }}", "{}", "False True"),
            fails("type_error_concat", "{{ 'a' + 1 }}", "{}", Kind.TypeError, "can only concatenate str (not \"int\") to str"),
            fails("type_error_compare", "{{ 'a' < 1 }}", "{}", Kind.TypeError, "'<' not supported between instances of 'str' and 'int'"),
            fails("zero_division", "{{ 1 / 0 }}", "{}", Kind.ZeroDivisionError, "division by zero"),
            fails("list_append_forbidden", "{{ [1].append(2) }}", "{}", Kind.SecurityError, "access to attribute 'append' of 'list' object is unsafe."),
            fails("dict_update_forbidden", "{{ {}.update({'a': 1}) }}", "{}", Kind.SecurityError, "access to attribute 'update' of 'dict' object is unsafe."),
            ok("generation_block", "{% for m in messages %}{% if m.role == 'assistant' %}{% generation %}{{ m.content }}{% endgeneration %}{% else %}{{ m.content }}{% endif %}|{% endfor %}", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"yo\"}]}", "hi|yo|"),
            ok("qwen3_idioms", "{%- set ns = namespace(multi_step_tool=true, last_query_index=messages|length - 1) %}{%- for message in messages[::-1] %}{%- set index = (messages|length - 1) - loop.index0 %}{%- if ns.multi_step_tool and message.role == 'user' and not(message.content.startswith('<tool_response>') and message.content.endswith('</tool_response>')) %}{%- set ns.multi_step_tool = false %}{%- set ns.last_query_index = index %}{%- endif %}{%- endfor %}{{ ns.last_query_index }}|{{ '\\n\\nthink\\n'.lstrip('\\n') }}|{{ ('<think>x</think>y'.split('</think>')[-1]).strip() }}", "{\"messages\": [{\"role\": \"user\", \"content\": \"a\"}, {\"role\": \"assistant\", \"content\": \"b\"}, {\"role\": \"user\", \"content\": \"<tool_response>r</tool_response>\"}]}", "0|think\n|y"),
            ok("content_parts_concat", "{{ 'x' ~ content }}", "{\"content\": [{\"type\": \"text\", \"text\": \"hi\"}]}", "x[{'type': 'text', 'text': 'hi'}]"),
            ok("snippet_00", "{% macro m() %}{{ late }}{% endmacro %}{% set late = 'L' %}{{ m() }}", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"yo\"}], \"x\": 5, \"d\": {\"a\": 1, \"b\": [1, 2]}, \"s\": \"Hello World\"}", "L"),
            ok("snippet_01", "{% set late = 'A' %}{% macro m() %}{{ late }}{% endmacro %}{% set late = 'B' %}{{ m() }}", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"yo\"}], \"x\": 5, \"d\": {\"a\": 1, \"b\": [1, 2]}, \"s\": \"Hello World\"}", "B"),
            ok("snippet_02", "{% for i in [1] %}{% macro m() %}{{ i }}{% endmacro %}{{ m() }}{% endfor %}", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"yo\"}], \"x\": 5, \"d\": {\"a\": 1, \"b\": [1, 2]}, \"s\": \"Hello World\"}", "1"),
            ok("snippet_03", "{% macro m() %}{{ loop is defined }}{% endmacro %}{% for i in [1] %}{{ m() }}{% endfor %}", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"yo\"}], \"x\": 5, \"d\": {\"a\": 1, \"b\": [1, 2]}, \"s\": \"Hello World\"}", "False"),
            ok("snippet_04", "{% for m in messages %}{% set c = m.content %}{% endfor %}[{{ c }}]", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"yo\"}], \"x\": 5, \"d\": {\"a\": 1, \"b\": [1, 2]}, \"s\": \"Hello World\"}", "[]"),
            ok("snippet_05", "{% set ns = namespace(a=[]) %}{% for m in messages %}{% set ns.a = ns.a + [m.role] %}{% endfor %}{{ ns.a }}", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"yo\"}], \"x\": 5, \"d\": {\"a\": 1, \"b\": [1, 2]}, \"s\": \"Hello World\"}", "['user', 'assistant']"),
            ok("snippet_06", "{% if true %}{% set inside = 1 %}{% endif %}{{ inside }}", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"yo\"}], \"x\": 5, \"d\": {\"a\": 1, \"b\": [1, 2]}, \"s\": \"Hello World\"}", "1"),
            ok("snippet_07", "{{ messages|map(attribute='role')|join(',') }}", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"yo\"}], \"x\": 5, \"d\": {\"a\": 1, \"b\": [1, 2]}, \"s\": \"Hello World\"}", "user,assistant"),
            ok("snippet_08", "{{ messages|selectattr('role', 'equalto', 'user')|list|length }}", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"yo\"}], \"x\": 5, \"d\": {\"a\": 1, \"b\": [1, 2]}, \"s\": \"Hello World\"}", "1"),
            ok("snippet_09", "{{ messages[0]['content'] }}{{ messages[-1].content }}", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"yo\"}], \"x\": 5, \"d\": {\"a\": 1, \"b\": [1, 2]}, \"s\": \"Hello World\"}", "hiyo"),
            ok("snippet_10", "{{ d|tojson }}{{ d.items()|list }}", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"yo\"}], \"x\": 5, \"d\": {\"a\": 1, \"b\": [1, 2]}, \"s\": \"Hello World\"}", "{\"a\": 1, \"b\": [1, 2]}[('a', 1), ('b', [1, 2])]"),
            ok("snippet_11", "{{ (d.b|first) + (d.b|last) }}", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"yo\"}], \"x\": 5, \"d\": {\"a\": 1, \"b\": [1, 2]}, \"s\": \"Hello World\"}", "3"),
            ok("snippet_12", "{{ s.split(' ')|reverse|join(' ') }}", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"yo\"}], \"x\": 5, \"d\": {\"a\": 1, \"b\": [1, 2]}, \"s\": \"Hello World\"}", "World Hello"),
            ok("snippet_13", "{{ s[1:-1] }}{{ s|length }}{{ s.lower().title() }}", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"yo\"}], \"x\": 5, \"d\": {\"a\": 1, \"b\": [1, 2]}, \"s\": \"Hello World\"}", "ello Worl11Hello World"),
            ok("snippet_14", "{{ x is divisibleby 5 }}{{ x // 2 }}{{ x / 2 }}{{ x ** 2 }}{{ x % 3 }}", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"yo\"}], \"x\": 5, \"d\": {\"a\": 1, \"b\": [1, 2]}, \"s\": \"Hello World\"}", "True22.5252"),
            ok("snippet_15", "{{ 'a' if x > 3 else 'b' }}{{ x > 3 and 'y' or 'n' }}", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"yo\"}], \"x\": 5, \"d\": {\"a\": 1, \"b\": [1, 2]}, \"s\": \"Hello World\"}", "ay"),
            ok("snippet_16", "{% for k, v in d|dictsort %}{{ k }}{{ v }}{% endfor %}", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"yo\"}], \"x\": 5, \"d\": {\"a\": 1, \"b\": [1, 2]}, \"s\": \"Hello World\"}", "a1b[1, 2]"),
            ok("snippet_17", "{{ d.missing is defined }}{{ d.missing is none }}{{ d.get('missing') is none }}", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"yo\"}], \"x\": 5, \"d\": {\"a\": 1, \"b\": [1, 2]}, \"s\": \"Hello World\"}", "FalseFalseTrue"),
            ok("snippet_18", "{{ undefined_var is not defined }}{{ undefined_var|default('dflt') }}", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"yo\"}], \"x\": 5, \"d\": {\"a\": 1, \"b\": [1, 2]}, \"s\": \"Hello World\"}", "Truedflt"),
            fails("snippet_19", "{%- for m in messages -%}", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"yo\"}], \"x\": 5, \"d\": {\"a\": 1, \"b\": [1, 2]}, \"s\": \"Hello World\"}", Kind.TemplateSyntaxError, "Unexpected end of template. Jinja was looking for the following tags: 'endfor' or 'else'. The innermost block that needs to be closed is 'for'."),
            fails("snippet_20", "  {{ m.role }}", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"yo\"}], \"x\": 5, \"d\": {\"a\": 1, \"b\": [1, 2]}, \"s\": \"Hello World\"}", Kind.UndefinedError, "'m' is undefined"),
            fails("snippet_21", "{%- endfor -%}", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"yo\"}], \"x\": 5, \"d\": {\"a\": 1, \"b\": [1, 2]}, \"s\": \"Hello World\"}", Kind.TemplateSyntaxError, "Encountered unknown tag 'endfor'."),
            fails("snippet_22", "{% for m in messages %}", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"yo\"}], \"x\": 5, \"d\": {\"a\": 1, \"b\": [1, 2]}, \"s\": \"Hello World\"}", Kind.TemplateSyntaxError, "Unexpected end of template. Jinja was looking for the following tags: 'endfor' or 'else'. The innermost block that needs to be closed is 'for'."),
            fails("snippet_23", "    {{ m.role }}", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"yo\"}], \"x\": 5, \"d\": {\"a\": 1, \"b\": [1, 2]}, \"s\": \"Hello World\"}", Kind.UndefinedError, "'m' is undefined"),
            fails("snippet_24", "{% endfor %}", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"yo\"}], \"x\": 5, \"d\": {\"a\": 1, \"b\": [1, 2]}, \"s\": \"Hello World\"}", Kind.TemplateSyntaxError, "Encountered unknown tag 'endfor'."),
            ok("snippet_25", "{% for m in messages %}\n    {% if m.role == 'user' %}\n        U\n    {% endif %}\n{% endfor %}", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"yo\"}], \"x\": 5, \"d\": {\"a\": 1, \"b\": [1, 2]}, \"s\": \"Hello World\"}", "        U\n"),
            ok("snippet_26", "{{ \"{}:{}\".format(x, s) }}{{ '%s|%s' % (x, s) }}", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"yo\"}], \"x\": 5, \"d\": {\"a\": 1, \"b\": [1, 2]}, \"s\": \"Hello World\"}", "5:Hello World5|Hello World"),
            ok("snippet_27", "{{ [1, 2, 3]|sum / 2 }}{{ (1.5)|round }}{{ 7|float }}{{ 7.0|int }}", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"yo\"}], \"x\": 5, \"d\": {\"a\": 1, \"b\": [1, 2]}, \"s\": \"Hello World\"}", "3.02.07.07"),
            ok("snippet_28", "{% set l = [3, 1, 2] %}{{ l|sort }}{{ l }}{{ l|max }}{{ l|min }}", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"yo\"}], \"x\": 5, \"d\": {\"a\": 1, \"b\": [1, 2]}, \"s\": \"Hello World\"}", "[1, 2, 3][3, 1, 2]31"),
            ok("snippet_29", "{{ 'x' * 3 + 'y' }}{{ ['a'] * 2 }}", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"yo\"}], \"x\": 5, \"d\": {\"a\": 1, \"b\": [1, 2]}, \"s\": \"Hello World\"}", "xxxy['a', 'a']"),
            ok("snippet_30", "{% raw %}{{ raw }}{% endraw %}", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"yo\"}], \"x\": 5, \"d\": {\"a\": 1, \"b\": [1, 2]}, \"s\": \"Hello World\"}", "{{ raw }}"),
            ok("snippet_31", "{{ '\\u00e9' }}{{ \"tab\\there\" }}", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"yo\"}], \"x\": 5, \"d\": {\"a\": 1, \"b\": [1, 2]}, \"s\": \"Hello World\"}", "étab\there"),
            ok("snippet_32", "{%- set a = 1 -%}\n\n   {{ a }}   \n\n{%- set b = 2 -%}", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"yo\"}], \"x\": 5, \"d\": {\"a\": 1, \"b\": [1, 2]}, \"s\": \"Hello World\"}", "1"),
            ok("snippet_33", "{{ messages|length > 1 }}{{ messages|first|attr('role') is undefined }}", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"yo\"}], \"x\": 5, \"d\": {\"a\": 1, \"b\": [1, 2]}, \"s\": \"Hello World\"}", "TrueTrue"),
            ok("snippet_34", "{# comment #}text{#- c -#}  more", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"yo\"}], \"x\": 5, \"d\": {\"a\": 1, \"b\": [1, 2]}, \"s\": \"Hello World\"}", "textmore"),
            ok("snippet_35", "{{ 10000000000000000000000 * 3 }}{{ -7 // 3 }}{{ 7 // -3 }}{{ -7 % -3 }}", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"yo\"}], \"x\": 5, \"d\": {\"a\": 1, \"b\": [1, 2]}, \"s\": \"Hello World\"}", "30000000000000000000000-3-3-1"),
            ok("snippet_36", "{{ 1e300 * 1e10 }}{{ -1e300 * 1e10 }}", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"yo\"}], \"x\": 5, \"d\": {\"a\": 1, \"b\": [1, 2]}, \"s\": \"Hello World\"}", "inf-inf"),
            ok("snippet_37", "{{ 0.1 * 3 }}{{ 1/3 }}{{ 2/3 }}{{ 10/3 }}", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"yo\"}], \"x\": 5, \"d\": {\"a\": 1, \"b\": [1, 2]}, \"s\": \"Hello World\"}", "0.300000000000000040.33333333333333330.66666666666666663.3333333333333335"),
            ok("snippet_38", "{{ 123456789012345678 / 1 }}", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"yo\"}], \"x\": 5, \"d\": {\"a\": 1, \"b\": [1, 2]}, \"s\": \"Hello World\"}", "1.2345678901234568e+17"),
            ok("snippet_39", "{{ true + true }}{{ true * 3 }}{{ 5 - false }}", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"yo\"}], \"x\": 5, \"d\": {\"a\": 1, \"b\": [1, 2]}, \"s\": \"Hello World\"}", "235"),
            ok("snippet_40", "{{ [1, 2] == [1, 2] }}{{ (1, 2) == [1, 2] }}{{ {'a': 1} == {'a': 1} }}", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"yo\"}], \"x\": 5, \"d\": {\"a\": 1, \"b\": [1, 2]}, \"s\": \"Hello World\"}", "TrueFalseTrue"),
            ok("snippet_41", "{{ none == none }}{{ none is none }}{{ 0 == false }}{{ '' == none }}", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"yo\"}], \"x\": 5, \"d\": {\"a\": 1, \"b\": [1, 2]}, \"s\": \"Hello World\"}", "TrueTrueTrueFalse"),
            ok("snippet_42", "{{ 'abc' < 'abd' }}{{ [1, 2] < [1, 2, 3] }}", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"yo\"}], \"x\": 5, \"d\": {\"a\": 1, \"b\": [1, 2]}, \"s\": \"Hello World\"}", "TrueTrue"),
            ok("snippet_43", "{{ 'ab' in ['ab'] }}{{ 1 in [1.0] }}{{ 'a' in {'a': 1} }}", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"yo\"}], \"x\": 5, \"d\": {\"a\": 1, \"b\": [1, 2]}, \"s\": \"Hello World\"}", "TrueTrueTrue"),
            ok("snippet_44", "{% for x in range(3) %}{{ loop.changed(x // 2) }}{% endfor %}", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"yo\"}], \"x\": 5, \"d\": {\"a\": 1, \"b\": [1, 2]}, \"s\": \"Hello World\"}", "TrueFalseTrue"),
            ok("snippet_45", "{% for a, b in [[1, 2], [3, 4]] %}{{ a }}{{ b }}{% endfor %}", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"yo\"}], \"x\": 5, \"d\": {\"a\": 1, \"b\": [1, 2]}, \"s\": \"Hello World\"}", "1234"),
            ok("snippet_46", "{% for m in messages if m.role == 'assistant' %}{{ loop.index }}{{ m.content }}{% else %}none{% endfor %}", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"yo\"}], \"x\": 5, \"d\": {\"a\": 1, \"b\": [1, 2]}, \"s\": \"Hello World\"}", "1yo"),
            ok("snippet_47", "{{ messages|rejectattr('role', 'in', ['user'])|map(attribute='content')|list }}", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"yo\"}], \"x\": 5, \"d\": {\"a\": 1, \"b\": [1, 2]}, \"s\": \"Hello World\"}", "['yo']"),
            ok("snippet_48", "{{ d.b|map('string')|join('-') }}{{ d.b|map('float')|list }}", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"yo\"}], \"x\": 5, \"d\": {\"a\": 1, \"b\": [1, 2]}, \"s\": \"Hello World\"}", "1-2[1.0, 2.0]"),
            ok("snippet_49", "{{ s|replace('o', '0')|upper|truncate(9) }}", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"yo\"}], \"x\": 5, \"d\": {\"a\": 1, \"b\": [1, 2]}, \"s\": \"Hello World\"}", "HELL0 W0RLD"),
            ok("snippet_50", "{{ s|center(20)|length }}{{ s|wordcount }}", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"yo\"}], \"x\": 5, \"d\": {\"a\": 1, \"b\": [1, 2]}, \"s\": \"Hello World\"}", "202"),
            ok("snippet_51", "{{ s.startswith('Hell') and s.endswith(('x', 'ld')) }}", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"yo\"}], \"x\": 5, \"d\": {\"a\": 1, \"b\": [1, 2]}, \"s\": \"Hello World\"}", "True"),
            ok("snippet_52", "{{ s.find('o') }}{{ s.rfind('o') }}{{ s.count('l') }}{{ s.index('W') }}", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"yo\"}], \"x\": 5, \"d\": {\"a\": 1, \"b\": [1, 2]}, \"s\": \"Hello World\"}", "4736"),
            ok("snippet_53", "{{ \"  x  \".strip() ~ \"|\" ~ \"xxhixx\".strip(\"x\") ~ \"|\" ~ \"\n\nh\".lstrip() }}", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"yo\"}], \"x\": 5, \"d\": {\"a\": 1, \"b\": [1, 2]}, \"s\": \"Hello World\"}", "x|hi|h"),
            ok("snippet_54", "{{ 'a-b_c d'.split('-') }}{{ 'a b'.split(' ', 0) }}", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"yo\"}], \"x\": 5, \"d\": {\"a\": 1, \"b\": [1, 2]}, \"s\": \"Hello World\"}", "['a', 'b_c d']['a b']"),
            ok("snippet_55", "{{ 'Hello'.upper().lower().capitalize().swapcase() }}", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"yo\"}], \"x\": 5, \"d\": {\"a\": 1, \"b\": [1, 2]}, \"s\": \"Hello World\"}", "hELLO"),
            ok("snippet_56", "{{ '{:d}|{:5.2f}|{:<6}|{:^7}|{:>4}'.format(42, 3.14159, 'ab', 'mid', 'r') }}", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"yo\"}], \"x\": 5, \"d\": {\"a\": 1, \"b\": [1, 2]}, \"s\": \"Hello World\"}", "42| 3.14|ab    |  mid  |   r"),
            ok("snippet_57", "{{ '{0:.3}'.format(3.14159) }}{{ '{:e}'.format(12345.678) }}{{ '{:g}'.format(0.00001234) }}{{ '{:%}'.format(0.25) }}{{ '{:,}'.format(1234567) }}", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"yo\"}], \"x\": 5, \"d\": {\"a\": 1, \"b\": [1, 2]}, \"s\": \"Hello World\"}", "3.141.234568e+041.234e-0525.000000%1,234,567"),
            ok("snippet_58", "{{ '%.3e' % 12345.678 }}{{ '%g' % 0.5 }}{{ '%g' % 1e20 }}{{ '%i' % 3.7 }}{{ '%5.1f%%' % 99.55 }}", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"yo\"}], \"x\": 5, \"d\": {\"a\": 1, \"b\": [1, 2]}, \"s\": \"Hello World\"}", "1.235e+040.51e+203 99.5%"),
            ok("snippet_59", "{{ '%c' % 65 }}{{ '%o' % 8 }}{{ '%X' % 255 }}{{ '%#x' % 255 }}{{ '%+d' % 5 }}{{ '% d' % 5 }}", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"yo\"}], \"x\": 5, \"d\": {\"a\": 1, \"b\": [1, 2]}, \"s\": \"Hello World\"}", "A10FF0xff+5 5"),
            ok("snippet_60", "{{ d|length }}{{ d|list }}{{ d.keys()|list }}{{ d|first }}", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"yo\"}], \"x\": 5, \"d\": {\"a\": 1, \"b\": [1, 2]}, \"s\": \"Hello World\"}", "2['a', 'b']['a', 'b']a"),
            ok("snippet_61", "{{ x|string|length }}{{ x|abs }}{{ -x|abs }}", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"yo\"}], \"x\": 5, \"d\": {\"a\": 1, \"b\": [1, 2]}, \"s\": \"Hello World\"}", "155"),
            ok("snippet_62", "{{ messages|tojson(indent=2) }}", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"yo\"}], \"x\": 5, \"d\": {\"a\": 1, \"b\": [1, 2]}, \"s\": \"Hello World\"}", "[\n  {\n    \"role\": \"user\",\n    \"content\": \"hi\"\n  },\n  {\n    \"role\": \"assistant\",\n    \"content\": \"yo\"\n  }\n]"),
            ok("snippet_63", "{{ d|tojson(sort_keys=true) }}{{ d|tojson(separators=(',', ':')) }}", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"yo\"}], \"x\": 5, \"d\": {\"a\": 1, \"b\": [1, 2]}, \"s\": \"Hello World\"}", "{\"a\": 1, \"b\": [1, 2]}{\"a\":1,\"b\":[1,2]}"),
            ok("snippet_64", "{{ [1.0, 2.5, -0.0, 1e100, 1e-100]|tojson }}", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"yo\"}], \"x\": 5, \"d\": {\"a\": 1, \"b\": [1, 2]}, \"s\": \"Hello World\"}", "[1.0, 2.5, -0.0, 1e+100, 1e-100]"),
            ok("snippet_65", "{{ '\"quoted\" \\\\ back'|tojson }}", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"yo\"}], \"x\": 5, \"d\": {\"a\": 1, \"b\": [1, 2]}, \"s\": \"Hello World\"}", "\"\\\"quoted\\\" \\\\ back\""),
            ok("snippet_66", "{{ '\\u2028\\u0007\\x7f'|tojson }}", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"yo\"}], \"x\": 5, \"d\": {\"a\": 1, \"b\": [1, 2]}, \"s\": \"Hello World\"}", "\"\u2028\\u0007\u007f\""),
            ok("snippet_67", "{{ ['\\u2028', '\\x7f', '\\x85', 'é']|string }}", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"yo\"}], \"x\": 5, \"d\": {\"a\": 1, \"b\": [1, 2]}, \"s\": \"Hello World\"}", "['\\u2028', '\\x7f', '\\x85', 'é']"),
            ok("snippet_68", "{{ 1 if none else 2 }}{{ [] or 'empty' }}{{ not none }}", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"yo\"}], \"x\": 5, \"d\": {\"a\": 1, \"b\": [1, 2]}, \"s\": \"Hello World\"}", "2emptyTrue"),
            ok("snippet_69", "{%- if messages|length == 2 and messages[1].role == 'assistant' %}ok{% endif %}", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"yo\"}], \"x\": 5, \"d\": {\"a\": 1, \"b\": [1, 2]}, \"s\": \"Hello World\"}", "ok"),
            ok("snippet_70", "{% set t = (1, 2, 3) %}{{ t[1:] }}{{ t|list }}{{ t|length }}{{ t[::-1] }}", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"yo\"}], \"x\": 5, \"d\": {\"a\": 1, \"b\": [1, 2]}, \"s\": \"Hello World\"}", "(2, 3)[1, 2, 3]3(3, 2, 1)"),
            ok("snippet_71", "{{ 'abc'|list|reverse|join }}{{ 'abc'[::-1]|upper }}", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"yo\"}], \"x\": 5, \"d\": {\"a\": 1, \"b\": [1, 2]}, \"s\": \"Hello World\"}", "cbaCBA"),
            ok("snippet_72", "{{ dict(a=1)|items|list }}{{ namespace(a=1).a }}", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"yo\"}], \"x\": 5, \"d\": {\"a\": 1, \"b\": [1, 2]}, \"s\": \"Hello World\"}", "[('a', 1)]1"),
            ok("snippet_73", "{{ messages|map(attribute='role')|unique|list }}{{ ['B', 'a', 'b', 'A']|unique|list }}", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"yo\"}], \"x\": 5, \"d\": {\"a\": 1, \"b\": [1, 2]}, \"s\": \"Hello World\"}", "['user', 'assistant']['B', 'a']"),
            ok("snippet_74", "{{ ['B', 'a', 'C']|sort(reverse=true) }}{{ [{'n': 'b'}, {'n': 'A'}]|sort(attribute='n')|map(attribute='n')|join }}", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"yo\"}], \"x\": 5, \"d\": {\"a\": 1, \"b\": [1, 2]}, \"s\": \"Hello World\"}", "['C', 'B', 'a']Ab"),
            ok("snippet_75", "{{ 3.7|round(0, 'floor') }}{{ 2.5|round(0) }}{{ -2.5|round }}{{ 1234.5678|round(-2) }}{{ 15|round(-1) }}", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"yo\"}], \"x\": 5, \"d\": {\"a\": 1, \"b\": [1, 2]}, \"s\": \"Hello World\"}", "3.02.0-2.01200.020"),
            ok("snippet_76", "{{ '3'|int + 4 }}{{ 'abc'|int(-1) }}{{ '1e3'|float }}{{ ' 12 '|float }}{{ 'inf'|float }}{{ 'nan'|float }}", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"yo\"}], \"x\": 5, \"d\": {\"a\": 1, \"b\": [1, 2]}, \"s\": \"Hello World\"}", "7-11000.012.0infnan"),
            ok("snippet_77", "{{ messages|first|attr('role') is undefined }}{{ 'ab'|attr('upper')() }}", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"yo\"}], \"x\": 5, \"d\": {\"a\": 1, \"b\": [1, 2]}, \"s\": \"Hello World\"}", "TrueAB"),
            ok("snippet_78", "{% set x = 1 %}{% macro f() %}{% set x = 2 %}{{ x }}{% endmacro %}{{ f() }}{{ x }}", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"yo\"}], \"x\": 5, \"d\": {\"a\": 1, \"b\": [1, 2]}, \"s\": \"Hello World\"}", "21"),
            ok("snippet_79", "{% macro f(a, b=a) %}{{ b }}{% endmacro %}{{ f(3) }}", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"yo\"}], \"x\": 5, \"d\": {\"a\": 1, \"b\": [1, 2]}, \"s\": \"Hello World\"}", "3"),
            ok("snippet_80", "{% macro outer() %}{% macro inner() %}I{% endmacro %}{{ inner() }}{% endmacro %}{{ outer() }}", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"yo\"}], \"x\": 5, \"d\": {\"a\": 1, \"b\": [1, 2]}, \"s\": \"Hello World\"}", "I"),
            ok("snippet_81", "{% macro f() %}{{ caller is defined }}{% endmacro %}{{ f() }}", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"yo\"}], \"x\": 5, \"d\": {\"a\": 1, \"b\": [1, 2]}, \"s\": \"Hello World\"}", "False"),
            ok("snippet_82", "{% macro f() %}{{ caller() }}{% endmacro %}{% call f() %}{{ messages|length }}{% endcall %}", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"yo\"}], \"x\": 5, \"d\": {\"a\": 1, \"b\": [1, 2]}, \"s\": \"Hello World\"}", "2"),
            ok("snippet_83", "{% set a = [1, 2] %}{% set b = a %}{{ a is sameas b }}", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"yo\"}], \"x\": 5, \"d\": {\"a\": 1, \"b\": [1, 2]}, \"s\": \"Hello World\"}", "True"),
            ok("snippet_84", "{% filter trim %}   padded   {% endfilter %}|", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"yo\"}], \"x\": 5, \"d\": {\"a\": 1, \"b\": [1, 2]}, \"s\": \"Hello World\"}", "padded|"),
            ok("snippet_85", "{% filter replace('a', 'b') | upper %}aaa{% endfilter %}", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"yo\"}], \"x\": 5, \"d\": {\"a\": 1, \"b\": [1, 2]}, \"s\": \"Hello World\"}", "BBB"),
            ok("snippet_86", "{% with %}{% set q = 1 %}{{ q }}{% endwith %}{{ q is defined }}", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"yo\"}], \"x\": 5, \"d\": {\"a\": 1, \"b\": [1, 2]}, \"s\": \"Hello World\"}", "1False"),
            ok("snippet_87", "{% for i in range(3) %}{% if i == 1 %}{% break %}{% endif %}{{ i }}{% else %}E{% endfor %}", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"yo\"}], \"x\": 5, \"d\": {\"a\": 1, \"b\": [1, 2]}, \"s\": \"Hello World\"}", "0"),
            ok("snippet_88", "{% for i in [] %}{% else %}{% for j in [1] %}{{ j }}{% endfor %}{% endfor %}", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"yo\"}], \"x\": 5, \"d\": {\"a\": 1, \"b\": [1, 2]}, \"s\": \"Hello World\"}", "1"),
            ok("snippet_89", "{{ messages[0] }}", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"yo\"}], \"x\": 5, \"d\": {\"a\": 1, \"b\": [1, 2]}, \"s\": \"Hello World\"}", "{'role': 'user', 'content': 'hi'}"),
            ok("snippet_90", "{{ messages[0].items()|list }}", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"yo\"}], \"x\": 5, \"d\": {\"a\": 1, \"b\": [1, 2]}, \"s\": \"Hello World\"}", "[('role', 'user'), ('content', 'hi')]"),
            ok("snippet_91", "{{ {'a': none, 1: 2, 1.5: 'x', none: 3, true: 4} }}", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"yo\"}], \"x\": 5, \"d\": {\"a\": 1, \"b\": [1, 2]}, \"s\": \"Hello World\"}", "{'a': None, 1: 4, 1.5: 'x', None: 3}"),
            ok("snippet_92", "{{ {'a': 1}|tojson }}{{ {1: 2}|tojson }}", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"yo\"}], \"x\": 5, \"d\": {\"a\": 1, \"b\": [1, 2]}, \"s\": \"Hello World\"}", "{\"a\": 1}{\"1\": 2}"),
            ok("snippet_93", "{{ 'a' ~ 2 ~ 2.0 ~ [2] ~ {'k': 2} ~ (2,) ~ none ~ true }}", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"yo\"}], \"x\": 5, \"d\": {\"a\": 1, \"b\": [1, 2]}, \"s\": \"Hello World\"}", "a22.0[2]{'k': 2}(2,)NoneTrue"),
            ok("snippet_94", "{{ x ~ undefined }}|{{ undefined ~ x }}", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"yo\"}], \"x\": 5, \"d\": {\"a\": 1, \"b\": [1, 2]}, \"s\": \"Hello World\"}", "5|5"),
            ok("snippet_95", "{%- for m in messages %}{{ loop.index0 }}{{ loop.revindex }}{%- endfor %}", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"yo\"}], \"x\": 5, \"d\": {\"a\": 1, \"b\": [1, 2]}, \"s\": \"Hello World\"}", "0211"),
            ok("snippet_96", "{{ 'x'|indent }}{{ 'a\nb'|indent(first=true) }}", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"yo\"}], \"x\": 5, \"d\": {\"a\": 1, \"b\": [1, 2]}, \"s\": \"Hello World\"}", "x    a\n    b"),
            ok("snippet_97", "{{ 'line1\nline2\n'|indent(2) }}|", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"yo\"}], \"x\": 5, \"d\": {\"a\": 1, \"b\": [1, 2]}, \"s\": \"Hello World\"}", "line1\n  line2\n|"),
            ok("snippet_98", "{{ '  '|trim == '' }}{{ ' \\t\n'|length }}", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"yo\"}], \"x\": 5, \"d\": {\"a\": 1, \"b\": [1, 2]}, \"s\": \"Hello World\"}", "True3"),
            ok("snippet_99", "{{ messages|selectattr('content')|list|length }}{{ messages|selectattr('missing')|list }}", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"yo\"}], \"x\": 5, \"d\": {\"a\": 1, \"b\": [1, 2]}, \"s\": \"Hello World\"}", "2[]"),
            ok("snippet_100", "{{ messages|selectattr('role', '==', 'user')|first }}", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"yo\"}], \"x\": 5, \"d\": {\"a\": 1, \"b\": [1, 2]}, \"s\": \"Hello World\"}", "{'role': 'user', 'content': 'hi'}"),
            ok("snippet_101", "{{ messages|map(attribute='missing')|list }}", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"yo\"}], \"x\": 5, \"d\": {\"a\": 1, \"b\": [1, 2]}, \"s\": \"Hello World\"}", "[Undefined, Undefined]"),
            ok("snippet_102", "{{ messages|map(attribute='missing', default='d')|list }}", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"yo\"}], \"x\": 5, \"d\": {\"a\": 1, \"b\": [1, 2]}, \"s\": \"Hello World\"}", "['d', 'd']"),
            ok("snippet_103", "{{ [[1, 2], [3]]|map('length')|list }}{{ [[1, 2], [3]]|map('first')|list }}", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"yo\"}], \"x\": 5, \"d\": {\"a\": 1, \"b\": [1, 2]}, \"s\": \"Hello World\"}", "[2, 1][1, 3]"),
            ok("snippet_104", "{{ ['a', 'b']|map('replace', 'a', 'z')|list }}", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"yo\"}], \"x\": 5, \"d\": {\"a\": 1, \"b\": [1, 2]}, \"s\": \"Hello World\"}", "['z', 'b']"),
            ok("snippet_105", "{{ [3, 1]|sort|first }}{{ 'cba'|sort|join }}", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"yo\"}], \"x\": 5, \"d\": {\"a\": 1, \"b\": [1, 2]}, \"s\": \"Hello World\"}", "1abc"),
            ok("snippet_106", "{{ [1, 'a']|select('string')|list }}{{ [1, 'a', 2.5]|select('number')|list }}", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"yo\"}], \"x\": 5, \"d\": {\"a\": 1, \"b\": [1, 2]}, \"s\": \"Hello World\"}", "['a'][1, 2.5]"),
            ok("snippet_107", "{{ [none, 0, 1]|reject('none')|list }}{{ [1, 2, 3]|select('in', [2, 3])|list }}", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"yo\"}], \"x\": 5, \"d\": {\"a\": 1, \"b\": [1, 2]}, \"s\": \"Hello World\"}", "[0, 1][2, 3]"),
            ok("snippet_108", "{{ d.b.0 }}{{ d['b'][1] }}{{ d.b[5] is defined }}", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"yo\"}], \"x\": 5, \"d\": {\"a\": 1, \"b\": [1, 2]}, \"s\": \"Hello World\"}", "12False"),
            ok("snippet_109", "{{ s[0] }}{{ s[-1] }}{{ s[100] is defined }}", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"yo\"}], \"x\": 5, \"d\": {\"a\": 1, \"b\": [1, 2]}, \"s\": \"Hello World\"}", "HdFalse"),
            ok("snippet_110", "{{ messages.0.role }}", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"yo\"}], \"x\": 5, \"d\": {\"a\": 1, \"b\": [1, 2]}, \"s\": \"Hello World\"}", "user")
    );

    @SuppressWarnings("unchecked")
    private static String render(Case c) throws Exception {
        Map<String, Object> vars = JSON.readValue(c.context(), Map.class);
        return Template.compile(c.template(), c.name()).render(vars, SETTINGS).text();
    }

    @TestFactory
    Stream<DynamicTest> everyFeatureMatchesPythonJinja() {
        return CASES.stream().map(c -> DynamicTest.dynamicTest(c.name(), () -> {
            if (c.errorKind() == null) {
                assertEquals(c.expected(), render(c), c.template());
            } else {
                TemplateException e = assertThrows(TemplateException.class, () -> render(c), c.template());
                assertEquals(c.errorKind(), e.kind(), e.getMessage());
                if (c.errorKind() == Kind.TemplateError) assertEquals(c.errorMessage(), e.detail());
                assertTrue(e.getMessage().contains("line 1"), "error names the line: " + e.getMessage());
            }
        }));
    }
}
