# frozen_string_literal: true

require_relative "helper"

# The IO-style helpers: read, readpartial, gets, write, puts, <<.
class TestIO < PolysockTest::Case
  def test_write_sends_everything_and_counts_bytes
    a, b = pair
    assert_equal 9, a.write("abc", 123, :x, "\u00e9")
    assert_equal "abc123x\u00e9".b, b.read(9)
    assert_same a, a << "more"
    assert_equal "more", b.read(4)
  end

  def test_read_with_a_length_waits_for_all_of_it
    a, b = pair
    writer = background { "hello world".each_char { |c| a.send(c); sleep 0.001 } }
    assert_equal "hello world", b.read(11)
    join_within(writer, 5)
  end

  def test_read_at_end_of_stream
    a, b = pair
    a.write("tail")
    a.shutdown(Polysock::SHUT_WR)
    assert_equal "tail", b.read(10) # fewer at end of stream
    assert_nil b.read(1)
    assert_equal "", b.read(0)
    assert_equal "", b.read
  end

  def test_read_everything
    a, b = pair
    a.write("x" * 100_000)
    a.close
    data = b.read
    assert_equal 100_000, data.bytesize
    assert_equal Encoding::BINARY, data.encoding
  end

  def test_gets_lines
    a, b = pair
    a.write("one\ntwo\nthree")
    a.shutdown(Polysock::SHUT_WR)
    assert_equal "one\n", b.gets
    assert_equal "two\n", b.gets
    assert_equal "three", b.gets
    assert_nil b.gets
  end

  def test_gets_with_a_separator_across_chunks
    a, b = pair
    writer = background { ["ab", "c|", "|d", "e||f"].each { |part| a.send(part); sleep 0.01 } }
    assert_equal "abc||", b.gets("||")
    assert_equal "de||", b.gets("||")
    join_within(writer, 5)
    a.close
    assert_equal "f", b.gets("||")
  end

  def test_gets_buffer_is_shared_with_read_and_readpartial
    a, b = pair
    a.write("line\nrest of it")
    assert_equal "line\n", b.gets
    assert_equal "rest", b.read(4)
    assert_equal " of it", b.readpartial(100)
  end

  def test_readpartial_at_end_of_stream_is_eof_error
    a, b = pair
    a.close
    assert_raises(EOFError) { b.readpartial(10) }
  end

  def test_puts_writes_lines
    a, b = pair
    assert_nil a.puts("a", ["b", "c\n"], 1)
    a.puts
    expected = "a\nb\nc\n1\n\n"
    assert_equal expected, b.read(expected.bytesize)
  end
end
