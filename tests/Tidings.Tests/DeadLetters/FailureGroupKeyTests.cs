using Tidings.DeadLetters;

namespace Tidings.Tests.DeadLetters
{
    public sealed class FailureGroupKeyTests
    {
        [Fact]
        public void Two_failures_thrown_at_one_place_share_a_key_and_another_place_has_its_own()
        {
            var first = Key(UserCode.Shop.Charge);
            var second = Key(UserCode.Shop.Charge);
            var elsewhere = Key(UserCode.Shop.Brew);

            Assert.Equal(first, second);
            Assert.NotEqual(first, elsewhere);
            Assert.Equal("handler-failed", first.Reason);
            Assert.Equal(typeof(InvalidOperationException).FullName, first.ExceptionType);
            Assert.StartsWith("UserCode.Shop.Charge(", first.UserFrame);
            Assert.DoesNotContain(" in ", first.UserFrame!); // no file or line: the key survives an edit above it
        }

        [Fact]
        public void The_frame_is_the_outermost_exceptions_first_one_in_user_code_past_the_librarys_own()
        {
            // Thrown in user code, wrapped by code in System (a Task), then by the user's own wrapper.
            var text = Capture(() => UserCode.Shop.Wrap(() => Task.Run(UserCode.Shop.Brew).GetAwaiter().GetResult()));

            Assert.Contains("--- End of inner exception stack trace ---", text);
            Assert.StartsWith("UserCode.Shop.Wrap(", FailureGroupKey.UserFrameOf(text));
        }

        [Fact]
        public void A_dead_letter_without_an_exception_is_grouped_by_its_reason()
        {
            var key = FailureGroupKey.Of(new Dictionary<string, string> { [TidingsHeaders.DeadLetterReason] = "unknown-message-name" });

            Assert.Equal(new FailureGroupKey("unknown-message-name", null, null), key);
            Assert.Null(FailureGroupKey.UserFrameOf("   at System.Threading.Tasks.Task.Wait()\n   at Tidings.Pipeline.Steps.RetryStep.ProcessAsync()"));
        }

        private static FailureGroupKey Key(Action fail) => FailureGroupKey.Of(new Dictionary<string, string>
        {
            [TidingsHeaders.DeadLetterReason] = "handler-failed",
            [TidingsHeaders.ExceptionType] = typeof(InvalidOperationException).FullName!,
            [TidingsHeaders.ExceptionStackTrace] = Capture(fail),
        });

        private static string Capture(Action fail)
        {
            try
            {
                fail();
            }
            catch (Exception ex)
            {
                return ex.ToString();
            }

            throw new InvalidOperationException("it did not fail");
        }
    }
}

// The user's code: outside the Tidings namespaces, as an application's handlers are.
namespace UserCode
{
    internal static class Shop
    {
        public static void Charge() => throw new InvalidOperationException("declined");

        public static void Brew() => throw new InvalidOperationException("the machine broke");

        public static void Wrap(Action action)
        {
            try
            {
                action();
            }
            catch (Exception ex)
            {
                throw new InvalidOperationException("the order failed", ex);
            }
        }
    }
}
